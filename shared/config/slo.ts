/**
 * `analysis.slo`: the error-budget burn-rate gate. The canary's error rate ÷ (1 − objective) is its burn
 * rate; it must not exceed `maxBurnRate`, whatever the baseline does: a canary no worse than a baseline that
 * already burns the budget is still not promoted. Judged by judges/statistics/burn-rate.ts inside the
 * metrics judge, on the canary's counts of one errors check (`check`). docs/slo.md explains it.
 */
import * as z from 'zod';
import { DEFAULT_SLO_CHECK } from './analysis-facts';
import { checkNameOf, type MetricCheckConfig } from './metrics';

/** The check whose canary counts the gate reads when `slo.check` is left out: the built-in one. */

export const SloSchema = z
  .strictObject({
    objective: z
      .number({ error: (issue) => (issue.input === undefined ? 'required: the share of requests that must succeed, e.g. 0.999' : 'objective is a number, e.g. 0.999') })
      .gt(0, 'objective is the share of requests that must succeed, in (0, 1), e.g. 0.999')
      .lt(1, 'objective must be below 1: an objective of 1 leaves no error budget to burn'),
    maxBurnRate: z
      .number({ error: (issue) => (issue.input === undefined ? 'required: how many times the error budget the canary may burn, e.g. 2' : 'maxBurnRate is a number, e.g. 2') })
      .gt(0, 'maxBurnRate must be above 0: 1 burns the budget exactly over the SLO window, 2 twice as fast'),
    check: z
      .string()
      .min(1)
      .optional()
      .describe(
        `The errors check in analysis.metrics whose canary counts are the error rate: a built-in "errors", an errors query pair, or a ` +
          `Prometheus errors pair, by name. Default "${DEFAULT_SLO_CHECK}" (a lambda-alias target's Errors / Invocations of the canary version).`,
      ),
    detectableBurnRate: z
      .number()
      .gt(0)
      .optional()
      .describe('The burn rate the gate must be able to catch (with `power`) before it may pass. Default: twice maxBurnRate.'),
    confidence: z
      .number()
      .gt(0.5, 'confidence is 1 − the false-rollback rate, e.g. 0.99')
      .lt(1, 'confidence must be below 1 (1 would never roll back)')
      .default(0.99)
      .describe('1 − the rate at which a canary burning exactly maxBurnRate is rolled back, over the whole rollout, all looks together.'),
    power: z.number().gt(0).lt(1).default(0.8).describe('Probability of catching the detectable burn rate that a pass requires. Default 0.8.'),
  })
  .superRefine((slo, ctx) => {
    if ((1 - slo.objective) * slo.maxBurnRate >= 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxBurnRate'],
        message: `maxBurnRate × (1 − objective) is the highest error rate allowed; ${slo.maxBurnRate} × ${Number((1 - slo.objective).toPrecision(6))} is 100 % or more, which allows everything`,
      });
    }
    if (slo.detectableBurnRate !== undefined && !(slo.detectableBurnRate > slo.maxBurnRate && (1 - slo.objective) * slo.detectableBurnRate < 1)) {
      ctx.addIssue({
        code: 'custom',
        path: ['detectableBurnRate'],
        message: `detectableBurnRate must lie above maxBurnRate (${slo.maxBurnRate}) and below 1 ÷ (1 − objective)`,
      });
    }
  })
  .describe(
    'Error-budget burn-rate gate: the canary\'s error rate ÷ (1 − objective) must not exceed maxBurnRate, tested one-sided against ' +
      'maxBurnRate × (1 − objective) with alpha spent across looks; too little data is inconclusive.',
  );

export type SloConfig = z.output<typeof SloSchema>;

/** The error budget's burn rate the canary may reach, as an error rate: maxBurnRate × (1 − objective). */
export function allowedErrorRate(slo: Pick<SloConfig, 'objective' | 'maxBurnRate'>): number {
  return slo.maxBurnRate * (1 - slo.objective);
}

/** Whether a check counts failed requests (errors), so that its canary counts can be an SLO's error rate. */
export function countsErrors(check: MetricCheckConfig): boolean {
  return 'metric' in check ? check.metric === 'errors' : check.kind === 'errors';
}

/** Why the SLO cannot be judged with these checks, if it cannot. */
export function sloProblem(slo: SloConfig, checks: readonly MetricCheckConfig[]): string | undefined {
  const name = slo.check ?? DEFAULT_SLO_CHECK;
  const check = checks.find((c) => checkNameOf(c) === name);
  if (check === undefined) {
    return slo.check === undefined
      ? `the SLO reads the canary's error rate from an errors check: add {"metric": "errors"} to analysis.metrics (a lambda-alias target), or name an errors query pair in slo.check`
      : `slo.check names "${name}", which is not in analysis.metrics`;
  }
  if (!countsErrors(check)) return `slo.check names "${name}", which does not count errors: name a built-in "errors" check or a query pair with "kind": "errors"`;
  return undefined;
}
