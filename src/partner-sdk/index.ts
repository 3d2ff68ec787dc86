export {
  createTandemPartnerClient,
  type DpopSigner,
  type SendOptions,
  type TandemPartnerClient,
  type TandemPartnerClientOptions,
} from './client.ts'
export { parseRetryAfter, TandemApiError } from './errors.ts'
export type * from './types.ts'
