/**
 * Where metric records go. In Lambda: Powertools Metrics, which writes each record as one Embedded Metric
 * Format document to stdout, and CloudWatch Logs turns it into metrics (no API call, no IAM). Anywhere
 * else (the CLI, the simulator, tests) nothing is written unless a sink is installed, so no EMF ever
 * mixes into a person's terminal. A metric must never fail the work it describes: a publish that throws
 * is logged and dropped.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { optionalEnv } from '../config/env';
import { errorLogFields } from '../errors';
import { logger } from '../handler';
import { METRICS, NAMESPACE, type MetricRecord } from './records';

export interface MetricsSink {
  publish(records: readonly MetricRecord[]): void;
}

/** One EMF document per record, under the record's dimension sets (plus Powertools' `service`). */
export const powertoolsSink: MetricsSink = {
  publish(records) {
    for (const record of records) {
      const metrics = new Metrics({ namespace: NAMESPACE, serviceName: optionalEnv('POWERTOOLS_SERVICE_NAME') ?? 'coalmine' });
      for (const set of record.dimensionSets) metrics.addDimensions(set);
      for (const { metric, value } of record.values) metrics.addMetric(METRICS[metric].name, MetricUnit[METRICS[metric].unit], value);
      metrics.publishStoredMetrics();
    }
  },
};

const silent: MetricsSink = { publish: () => undefined };

let installed: MetricsSink | undefined;

/** Installs `sink` (a test's collector); returns the undo. */
export function useMetricsSink(sink: MetricsSink): () => void {
  const before = installed;
  installed = sink;
  return () => {
    installed = before;
  };
}

/** Publishes `records` to the installed sink, else to Powertools inside Lambda; never throws. */
export function publishMetrics(records: readonly MetricRecord[]): void {
  const sink = installed ?? (optionalEnv('AWS_LAMBDA_FUNCTION_NAME') !== undefined ? powertoolsSink : silent);
  try {
    sink.publish(records);
  } catch (error) {
    logger.warn('metrics: could not publish', errorLogFields(error));
  }
}
