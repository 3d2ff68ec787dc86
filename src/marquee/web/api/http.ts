import { createApiClient } from '../../../lib/web/api-client.ts'

export { ApiError, describeError, type RequestOptions } from '../../../lib/web/api-client.ts'

export const { request, setUnauthenticatedHandler } = createApiClient('Marquee')
