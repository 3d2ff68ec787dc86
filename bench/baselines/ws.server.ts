// The floor for idle WebSocket memory: a bare ws server that keeps each socket in a set and greets it.
// GET /connections reports how many are open.
import { createServer } from 'node:http'
import { type WebSocket, WebSocketServer } from 'ws'

const port = Number(process.env.PORT ?? 0)
const sockets = new Set<WebSocket>()
const server = createServer((req, res) => {
  if (req.url !== '/connections') {
    res.writeHead(404).end()
    return
  }
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ connections: sockets.size }))
})
const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 4096 })
wss.on('connection', (socket) => {
  sockets.add(socket)
  socket.on('close', () => sockets.delete(socket))
  socket.send(JSON.stringify({ type: 'hello' }))
})
server.listen(port, '127.0.0.1', () => {
  const address = server.address()
  console.log(`ws baseline listening on ${typeof address === 'object' && address ? address.port : port}`)
})
process.once('SIGTERM', () => {
  for (const socket of sockets) socket.terminate()
  server.close(() => process.exit(0))
})
