/**
 * Prometheus as a metric source: `analysis.prometheus` (where to query, how to authenticate) and query pairs
 * in PromQL (`"source": "prometheus"` in `analysis.metrics`). docs/prometheus.md explains the windows, the
 * endpoints and the Istio queries.
 */
import * as z from 'zod';

export const PromQL = z
  .string()
  .min(1)
  .max(4096, 'a PromQL query is at most 4096 characters')
  .refine((q) => q.includes('$window'), 'a count query needs "$window" where the range goes, e.g. increase(x_total[$window]): each split window is read with its own length')
  .describe('A PromQL query returning one count, with $window as its range: sum(increase(istio_requests_total{destination_version="green"}[$window])).');

/** A histogram's bucket series, without a range: its le buckets are summed and read per window. */
export const BucketSeries = z
  .string()
  .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*_bucket(\{.*\})?$/s, 'a histogram\'s bucket series: a metric name ending in _bucket with optional {label matchers}, e.g. istio_request_duration_milliseconds_bucket{destination_version="green"}')
  .max(2048)
  .describe('A histogram\'s _bucket series with label matchers, e.g. istio_request_duration_milliseconds_bucket{reporter="destination",destination_version="green"}.');

export const PrometheusEndpointSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/, error: 'a Prometheus base URL, http(s)://host:port (without /api/v1), or an AMP workspace URL' })
      .max(2048)
      .describe('The Prometheus base URL (http://prometheus.internal:9090) or the Amazon Managed Service for Prometheus workspace URL (https://aps-workspaces.REGION.amazonaws.com/workspaces/ws-…).'),
    auth: z
      .discriminatedUnion('kind', [
        z.strictObject({ kind: z.literal('none') }),
        z.strictObject({
          kind: z.enum(['bearer', 'basic']),
          parameter: z.string().regex(/^[A-Za-z0-9/_.-]{1,2048}$/, 'an SSM parameter name, e.g. /coalmine/prometheus-token').describe('SSM SecureString holding the token, or "user:password" for basic.'),
        }),
        z.strictObject({ kind: z.literal('sigv4'), region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region, e.g. us-east-1') }),
      ])
      .default({ kind: 'none' })
      .describe('none; bearer or basic with the secret in SSM Parameter Store (never in the request or the environment); sigv4 for Amazon Managed Service for Prometheus.'),
  })
  .describe('Where the Prometheus query pairs are read.');

export type PrometheusEndpointConfig = z.output<typeof PrometheusEndpointSchema>;
