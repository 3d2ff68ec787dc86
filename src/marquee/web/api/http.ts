import { createApiClient } from '../../../lib/web/api-client.ts'

export { ApiError, describeError } from '../../../lib/web/api-client.ts'

export const { request, setUnauthenticatedHandler } = createApiClient('Marquee')
