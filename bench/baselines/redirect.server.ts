// The floor for the link shim: a bare node:http server answering every request with a constant 302.
import { createServer } from 'node:http'

const port = Number(process.env.PORT ?? 0)
const server = createServer((_req, res) => {
  res.writeHead(302, { location: 'https://example.org/x', 'cache-control': 'no-store' })
  res.end()
})
server.listen(port, '127.0.0.1', () => {
  const address = server.address()
  console.log(
    `redirect baseline listening on ${typeof address === 'object' && address ? address.port : port}`,
  )
})
process.once('SIGTERM', () => server.close(() => process.exit(0)))
