/**
 * The schema of `analysis.minCanaryRequests`; what it means, its default and where it applies are in
 * analysis-facts.ts, which the judges import without zod.
 */
import * as z from 'zod';
import { DEFAULT_MIN_CANARY_REQUESTS } from './analysis-facts';

export const MinCanaryRequestsSchema = z
  .int('minCanaryRequests is a whole number of requests')
  .min(0, 'minCanaryRequests cannot be negative; 0 lets alarms pass a step on any number of requests')
  .max(1_000_000_000)
  .optional()
  .describe(
    `Analyses with alarms and no metric checks: canary requests (since the first shift) needed before a step may pass; fewer is ` +
      `inconclusive. Default ${DEFAULT_MIN_CANARY_REQUESTS} for a lambda-alias target (no error in 300 requests bounds the error rate ` +
      'below 1 % at 95 %); 0 turns the minimum off. A cloudfront-kvs target has no request count of its own: add a metric check.',
  );
