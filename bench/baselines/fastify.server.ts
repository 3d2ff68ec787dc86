// Fastify 5 with one route and nothing else: the framework's share of the link shim's cost.
import Fastify from 'fastify'

const port = Number(process.env.PORT ?? 0)
const app = Fastify({ logger: false })
app.get<{ Params: { id: string } }>('/l/:id', async (_req, reply) =>
  reply
    .code(302)
    .header('location', 'https://example.org/x')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .send(),
)
await app.listen({ host: '127.0.0.1', port })
const address = app.server.address()
console.log(`fastify baseline listening on ${typeof address === 'object' && address ? address.port : port}`)
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0))
})
