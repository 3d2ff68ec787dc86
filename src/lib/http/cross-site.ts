import type { FastifyRequest } from 'fastify'
import { AppError } from '../errors.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Refuses cookie-authenticated state changes that a browser says came from another site (SECURITY.md row 39).
 * Browsers send Origin on every cross-origin POST; Sec-Fetch-Site covers the rest.
 */
export function crossSiteGuard(trustedOrigins: string[]) {
  const trusted = new Set(trustedOrigins)
  return async (req: FastifyRequest) => {
    if (SAFE_METHODS.has(req.method)) return
    const origin = req.headers.origin
    // A page with Referrer-Policy: no-referrer (the sign-in and consent screens) posts its forms with
    // Origin: null; the browser's own Sec-Fetch-Site still says whether the form was ours.
    if (origin === 'null' && req.headers['sec-fetch-site'] === 'same-origin') return
    if (origin !== undefined) {
      const own = `${req.protocol}://${req.host}`
      if (origin !== own && !trusted.has(origin)) {
        throw new AppError(403, 'cross_site_request', 'requests from other sites are refused')
      }
      return
    }
    if (req.headers['sec-fetch-site'] === 'cross-site') {
      throw new AppError(403, 'cross_site_request', 'requests from other sites are refused')
    }
  }
}
