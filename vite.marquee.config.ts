import { join } from 'node:path'
import react from '@vitejs/plugin-react'
import { defineConfig, type ProxyOptions } from 'vite'

const root = import.meta.dirname
const marquee = process.env.MARQUEE_URL ?? 'http://localhost:4000'

// In `vite dev` the browser talks to Vite's origin: drop Origin so Marquee's cross-site guard sees a same-site call.
const toMarquee = (): ProxyOptions => ({
  target: marquee,
  configure: (proxy) => {
    proxy.on('proxyReq', (req) => req.removeHeader('origin'))
  },
})

/** The Marquee web client; the server serves dist/marquee-web with index.html for every page URL. */
export default defineConfig({
  root: join(root, 'src/marquee/web'),
  base: '/',
  plugins: [react()],
  build: {
    outDir: join(root, 'dist/marquee-web'),
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    port: 5174,
    proxy: { '/api': toMarquee(), '/r/': toMarquee(), '/posters': toMarquee(), '/auth': toMarquee() },
  },
})
