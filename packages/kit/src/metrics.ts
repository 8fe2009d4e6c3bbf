/**
 * Prometheus metrics at GET /metrics: default process metrics plus
 * `<prefix>http_request_duration_seconds{method, route, status_code}`.
 * `route` is the route PATTERN (`/members/:id`), never the raw URL, so no ids
 * or personal data end up in labels; unmatched requests are labelled `(unmatched)`.
 */
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { App } from './http-app.ts';

export type MetricsOptions = {
  /** Registry to use; default a new one. Add the service's own metrics to the returned registry. */
  registry?: Registry;
  /** Metric name prefix, e.g. 'jplink_center_'. Must match [a-zA-Z_:][a-zA-Z0-9_:]* (use a trailing '_'). */
  prefix: string;
  /** Histogram buckets in seconds. */
  buckets?: number[];
  /** Default process metrics (CPU, memory, event loop…); default true. */
  defaultMetrics?: boolean;
};

export const UNMATCHED_ROUTE = '(unmatched)';

/** Add GET /metrics and the request-duration histogram to `app` (call on the root instance). */
export function registerMetrics(app: App, opts: MetricsOptions): Registry {
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(opts.prefix)) {
    throw new Error(`registerMetrics: invalid metric prefix ${JSON.stringify(opts.prefix)}`);
  }
  const registry = opts.registry ?? new Registry();
  if (opts.defaultMetrics !== false && !registry.getSingleMetric(`${opts.prefix}process_cpu_user_seconds_total`)) {
    collectDefaultMetrics({ register: registry, prefix: opts.prefix });
  }
  const histogramConfig = {
    name: `${opts.prefix}http_request_duration_seconds`,
    help: 'HTTP request duration in seconds, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
    ...(opts.buckets ? { buckets: opts.buckets } : {}),
  };
  const duration = new Histogram(histogramConfig);

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    duration.observe(
      {
        method: request.method,
        route: typeof route === 'string' ? route : UNMATCHED_ROUTE,
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });

  app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (_request, reply) => {
    const body = await registry.metrics();
    reply.header('content-type', registry.contentType).header('cache-control', 'no-store');
    return body;
  });

  return registry;
}
