import { PGlite } from '@electric-sql/pglite'
const pg = await PGlite.create()
await pg.listen('ch', (p) => console.log('got', p))
await pg.transaction(async (tx) => { await tx.query("select pg_notify('ch', 'hello')"); console.log('in tx') })
await new Promise(r => setTimeout(r, 100))
const t0 = Date.now(); const dump = await pg.dumpDataDir('gzip'); console.log('dump', dump.size, Date.now()-t0)
const t1 = Date.now(); const pg2 = await PGlite.create({ loadDataDir: dump }); console.log('load', Date.now()-t1)
console.log((await pg2.query('select 1 as x')).rows)
