import type { FastifyInstance } from 'fastify'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

export interface Metrics {
  registry: Registry
  gauge(name: string, help: string): Gauge
  counter(name: string, help: string, labelNames?: string[]): Counter
}

/** Prometheus metrics for one app: request counts and latency by route, plus gauges modules add. */
export function installMetrics(app: FastifyInstance, prefix: string): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: `${prefix}_` })
  const requests = new Counter({
    name: `${prefix}_http_requests_total`,
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  })
  const latency = new Histogram({
    name: `${prefix}_http_request_duration_seconds`,
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  app.addHook('onResponse', async (req, reply) => {
    // Unmatched URLs share one label so a scan cannot blow up the series count.
    const route = req.routeOptions.url ?? 'unmatched'
    requests.inc({ method: req.method, route, status: String(reply.statusCode) })
    latency.observe({ method: req.method, route }, reply.elapsedTime / 1000)
  })
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', registry.contentType)
    return registry.metrics()
  })
  return {
    registry,
    gauge: (name, help) => new Gauge({ name: `${prefix}_${name}`, help, registers: [registry] }),
    counter: (name, help, labelNames = []) =>
      new Counter({ name: `${prefix}_${name}`, help, labelNames, registers: [registry] }),
  }
}
