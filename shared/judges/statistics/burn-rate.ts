/**
 * The SLO burn-rate gate for one look: is the canary's error rate above what the error budget allows?
 * Pure: the canary's counts in, verdict and evidence out.
 *
 * With objective o, the error budget is the rate 1 − o; a rate p burns it at p / (1 − o). The canary may
 * burn at most B = maxBurnRate times, that is fail at most p₀ = B·(1 − o) of its requests, whatever the
 * baseline does: this is a one-sample test, and a baseline that burns the budget as fast does not excuse it.
 *
 *   H0: p ≤ p₀.  The canary's errors X among its n requests are Binomial(n, p); the p-value is
 *   P(X ≥ x | n, p₀), summed exactly, so three errors are judged as carefully as three thousand.
 *
 * Repeated looks spend α as the comparison of canary and baseline does (sequential.ts; the metrics judge
 * spends stepwise over the plan's steps), over the information fraction t = n / (the canary requests the
 * plan will collect). The look:
 *   fail          when p ≤ the look's nominal threshold;
 *   pass          when not, and n is large enough that this look would have caught a canary burning the
 *                 detectable rate (default 2·B) with the target power;
 *   inconclusive  otherwise, with the canary requests still needed.
 */
import { formatDuration } from '../../duration';
import type { Verdict } from '../../rollout';
import { binomialUpperTail, normalQuantile, normalUpperQuantile } from './distributions';
import type { ArmSummary } from './proportions';
import type { PlannedStep } from './sample-size';
import { lookBoundary, lookRecord, NEVER_REJECT_Z, type LookBoundary, type SequentialLook, type SpendingFunction } from './sequential';

const { ceil, max, sqrt } = Math;

export interface BurnRateCriteria {
  /** Shown in reasons, e.g. "SLO 99.9 %". */
  readonly name: string;
  /** The share of requests that must succeed, in (0, 1), e.g. 0.999. */
  readonly objective: number;
  /** How many times the error budget the canary may burn. */
  readonly maxBurnRate: number;
  /** The burn rate a pass must be able to catch; default twice maxBurnRate. */
  readonly detectableBurnRate?: number;
  /** 1 − the rollback rate of a canary burning exactly maxBurnRate, all looks together. */
  readonly confidence: number;
  /** Default 0.8. */
  readonly power?: number;
}

export interface BurnRateLook {
  /** Canary requests the plan will collect (Σ rate·duration·weight over its steps). */
  readonly plannedRequests: number;
  /** The gate's earlier looks in this rollout, oldest first. */
  readonly previousLooks: readonly SequentialLook[];
  readonly spending?: SpendingFunction;
  /** Steps of the plan whose planned bake is over (stepwise spending). */
  readonly completedSteps?: number;
  /** Canary requests per second now, for the time estimate of an inconclusive look. */
  readonly canaryRatePerSecond?: number;
}

export interface BurnRateInput {
  readonly criteria: BurnRateCriteria;
  /** The canary's requests and failed requests since the first shift. */
  readonly canary: { readonly requests: number; readonly failures: number };
  readonly look: BurnRateLook;
}

export interface BurnRateEvidence {
  readonly kind: 'burn-rate';
  readonly objective: number;
  readonly maxBurnRate: number;
  readonly detectableBurnRate: number;
  /** maxBurnRate × (1 − objective): the H0 boundary on the canary's error rate. */
  readonly allowedErrorRate: number;
  readonly detectableErrorRate: number;
  readonly canary: ArmSummary;
  /** The canary's observed burn rate; null without requests. */
  readonly burnRate: number | null;
  /** Lower confidence bound of the burn rate at this look's level (Clopper-Pearson): it lies above maxBurnRate exactly when the look fails. */
  readonly burnRateBound: { readonly side: 'lower'; readonly value: number; readonly confidence: number };
  readonly pValue: number;
  readonly threshold: number;
  readonly boundaryZ: number;
  readonly informationFraction: number;
  readonly information: number;
  readonly plannedInformation: number;
  readonly alphaSpent: number;
  readonly finalLook: boolean;
  readonly confidence: number;
  readonly power: number;
  readonly canarySamples: number;
  readonly minimumCanarySamples: number;
  readonly method: 'exact';
}

export interface BurnRateJudgement {
  readonly metric: string;
  readonly verdict: Verdict;
  /** The gate always acts: a canary that burns the budget too fast is rolled back. */
  readonly critical: true;
  readonly reason: string;
  readonly evidence: BurnRateEvidence;
  readonly look: SequentialLook;
  readonly requestsNeeded?: number;
  readonly secondsNeeded?: number;
}

export const DEFAULT_DETECTABLE_BURN_FACTOR = 2;
const DEFAULT_POWER = 0.8;

/**
 * Canary requests the one-sample test needs to catch rate p₁ with the given power at critical value z:
 * ((z·√(p₀(1 − p₀)) + z_power·√(p₁(1 − p₁))) / (p₁ − p₀))², the normal approximation to the binomial test.
 */
export function minimumBurnRateRequests(allowedRate: number, detectableRate: number, boundaryZ: number, power: number): number {
  if (!(allowedRate > 0 && detectableRate > allowedRate && detectableRate < 1)) {
    throw new RangeError(`need 0 < allowed rate < detectable rate < 1, got ${allowedRate} and ${detectableRate}`);
  }
  const root = (boundaryZ * sqrt(allowedRate * (1 - allowedRate)) + normalQuantile(power) * sqrt(detectableRate * (1 - detectableRate))) / (detectableRate - allowedRate);
  return ceil(root * root);
}

/** The p with P(X ≥ x | n, p) = level, by bisection (the tail rises with p): the Clopper-Pearson lower bound. */
function lowerBound(failures: number, requests: number, level: number): number {
  if (failures === 0) return 0;
  let low = 0;
  let high = 1;
  for (let i = 0; i < 60; i += 1) {
    const middle = 0.5 * (low + high);
    if (binomialUpperTail(failures, requests, middle) < level) low = middle;
    else high = middle;
  }
  return low;
}

function resolved(criteria: BurnRateCriteria): { alpha: number; power: number; allowedRate: number; detectableBurnRate: number; detectableRate: number } {
  const { objective, maxBurnRate, confidence } = criteria;
  if (!(objective > 0 && objective < 1)) throw new RangeError(`${criteria.name}: objective must be in (0, 1), got ${objective}`);
  if (!(maxBurnRate > 0)) throw new RangeError(`${criteria.name}: maxBurnRate must be > 0, got ${maxBurnRate}`);
  if (!(confidence > 0.5 && confidence < 1)) throw new RangeError(`${criteria.name}: confidence must be in (0.5, 1), got ${confidence}`);
  const power = criteria.power ?? DEFAULT_POWER;
  const budget = 1 - objective;
  const detectableBurnRate = criteria.detectableBurnRate ?? DEFAULT_DETECTABLE_BURN_FACTOR * maxBurnRate;
  const allowedRate = maxBurnRate * budget;
  // A detectable rate of 100 % or more cannot be caught by counting; cap it just below.
  const detectableRate = Math.min(detectableBurnRate * budget, (1 + allowedRate) / 2);
  if (!(allowedRate < 1)) throw new RangeError(`${criteria.name}: maxBurnRate × (1 − objective) must be below 1`);
  if (!(detectableBurnRate > maxBurnRate)) throw new RangeError(`${criteria.name}: detectableBurnRate must lie above maxBurnRate`);
  return { alpha: 1 - confidence, power, allowedRate, detectableBurnRate, detectableRate };
}

/** Judges the canary's burn rate at one look. Throws only for invalid criteria or counts, never for missing data. */
export function judgeBurnRate(input: BurnRateInput): BurnRateJudgement {
  const { criteria, canary, look } = input;
  const { requests: n, failures: x } = canary;
  if (!(Number.isInteger(n) && Number.isInteger(x) && n >= 0 && x >= 0 && x <= n)) throw new RangeError(`${criteria.name}: counts must be whole, with failures <= requests, got ${x}/${n}`);
  if (!(look.plannedRequests > 0)) throw new RangeError(`${criteria.name}: plannedRequests must be > 0, got ${look.plannedRequests}`);
  const { alpha, power, allowedRate, detectableBurnRate, detectableRate } = resolved(criteria);
  const budget = 1 - criteria.objective;

  const boundary: LookBoundary = lookBoundary({
    alpha,
    spending: look.spending,
    informationFraction: n / look.plannedRequests,
    previousLooks: look.previousLooks,
    ...(look.completedSteps === undefined ? {} : { completedSteps: look.completedSteps }),
  });
  const pValue = binomialUpperTail(x, n, allowedRate);
  const level = boundary.nominalAlpha > 0 ? boundary.nominalAlpha : alpha;
  // Once α is spent, the data requirement keeps the last real boundary (as judgeMetric does).
  const earlier = look.previousLooks.filter((l) => l.boundaryZ < NEVER_REJECT_Z);
  const z = boundary.boundaryZ < NEVER_REJECT_Z ? boundary.boundaryZ : (earlier.at(-1)?.boundaryZ ?? normalUpperQuantile(alpha));
  const minimum = minimumBurnRateRequests(allowedRate, detectableRate, z, power);
  const rate = n > 0 ? x / n : null;
  const evidence: BurnRateEvidence = {
    kind: 'burn-rate',
    objective: criteria.objective,
    maxBurnRate: criteria.maxBurnRate,
    detectableBurnRate,
    allowedErrorRate: allowedRate,
    detectableErrorRate: detectableRate,
    canary: { requests: n, failures: x, rate },
    burnRate: rate === null ? null : rate / budget,
    burnRateBound: { side: 'lower', value: lowerBound(x, n, level) / budget, confidence: 1 - level },
    pValue,
    threshold: boundary.nominalAlpha,
    boundaryZ: boundary.boundaryZ,
    informationFraction: boundary.informationFraction,
    information: n,
    plannedInformation: look.plannedRequests,
    alphaSpent: boundary.alphaSpent,
    finalLook: boundary.final,
    confidence: criteria.confidence,
    power,
    canarySamples: n,
    minimumCanarySamples: minimum,
    method: 'exact',
  };
  const base = { metric: criteria.name, critical: true as const, evidence, look: lookRecord(boundary) };
  const burn = (b: number) => `${Number(b.toPrecision(3))}×`;
  const observed = rate === null ? 'no canary requests yet' : `canary ${(100 * rate).toFixed(3)} % errors (${count(x)}/${count(n)}), burning the error budget ${burn(rate / budget)}`;
  const allowed = `at most ${burn(criteria.maxBurnRate)} (${(100 * allowedRate).toPrecision(3)} % errors)`;
  if (boundary.nominalAlpha > 0 && pValue <= boundary.nominalAlpha) {
    return {
      ...base,
      verdict: 'fail',
      reason: `${criteria.name}: ${observed}; faster than the allowed ${allowed} with p = ${formatP(pValue)} <= ${formatP(boundary.nominalAlpha)}, this look's threshold (α = ${formatP(alpha)} over the whole rollout), whatever the baseline burns`,
    };
  }
  const pText = `p = ${formatP(pValue)}${boundary.nominalAlpha > 0 ? ` > ${formatP(boundary.nominalAlpha)}` : boundary.final ? ', alpha spent' : ', no new information: this look cannot fail'}`;
  if (n >= minimum) {
    return {
      ...base,
      verdict: 'pass',
      reason: `${criteria.name}: ${observed}; no evidence of burning faster than ${allowed} (${pText}), and ${count(n)} canary requests are enough to catch ${burn(detectableBurnRate)}`,
    };
  }
  const requestsNeeded = minimum - n;
  const perSecond = look.canaryRatePerSecond;
  const secondsNeeded = perSecond !== undefined && perSecond > 0 ? ceil(requestsNeeded / perSecond) : undefined;
  const eta = secondsNeeded === undefined ? '' : ` (about ${formatDuration(secondsNeeded)} at ${Number(perSecond?.toPrecision(3))}/s)`;
  return {
    ...base,
    verdict: 'inconclusive',
    reason: `${criteria.name}: not enough data to judge: ${count(n)} canary requests, ${count(requestsNeeded)} more needed to catch a burn of ${burn(detectableBurnRate)}${eta}; so far ${observed}, ${pText}`,
    requestsNeeded,
    ...(secondsNeeded === undefined ? {} : { secondsNeeded }),
  };
}

function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function formatP(p: number): string {
  if (p === 0) return '0';
  return p >= 0.001 ? p.toPrecision(2) : p.toExponential(1);
}

/** The planned canary requests of a plan at a steady request rate: Σ rate·duration·weight. */
export function plannedCanaryRequests(steps: readonly PlannedStep[], requestsPerSecond: number): number {
  return steps.reduce((sum, step) => sum + stepCanaryRequests(step, requestsPerSecond), 0);
}

/** One step's part of plannedCanaryRequests: rate·duration·w. */
export function stepCanaryRequests(step: PlannedStep, requestsPerSecond: number): number {
  return requestsPerSecond * step.durationSeconds * max(0, Math.min(1, step.canaryWeight));
}
