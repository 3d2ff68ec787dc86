import { join } from 'node:path'
import react from '@vitejs/plugin-react'
import { defineConfig, type ProxyOptions } from 'vite'

const root = import.meta.dirname
const tandem = process.env.TANDEM_URL ?? 'http://localhost:3000'

// In `vite dev` the browser talks to Vite's origin: drop Origin so Tandem's cross-site guard sees a same-site call.
const toTandem = (ws = false): ProxyOptions => ({
  target: ws ? tandem.replace(/^http/, 'ws') : tandem,
  ws,
  configure: (proxy) => {
    proxy.on('proxyReq', (req) => req.removeHeader('origin'))
    proxy.on('proxyReqWs', (req) => req.removeHeader('origin'))
  },
})

/** The Tandem web client; the server serves dist/tandem-web with index.html for every page URL. */
export default defineConfig({
  root: join(root, 'src/tandem/web'),
  base: '/',
  plugins: [react()],
  build: {
    outDir: join(root, 'dist/tandem-web'),
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    proxy: { '/api': toTandem(), '/l/': toTandem(), '/ws': toTandem(true) },
  },
})
