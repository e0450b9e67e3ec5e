/**
 * The canary-versus-baseline judge for one metric at one look, and the fold of several metrics into one
 * verdict. Pure: counts and samples in, verdict and evidence out; the CloudWatch reading is elsewhere.
 *
 * One look:
 *   1. information = effective sample size so far; fraction = information / planned information;
 *   2. the alpha-spending boundary for this look (sequential.ts) gives the nominal p-value threshold;
 *   3. the metric's test (errors: conditional exact ratio test; latency: Mann-Whitney) gives a p-value;
 *   4. fail  when p <= threshold;
 *      pass  when not, and the canary sample is large enough that this look would have caught the
 *            detectable degradation with the target power;
 *      inconclusive otherwise, with the canary requests still needed and the time they take at the current
 *            rate. No data is never a pass.
 */
import { formatDuration } from '../../duration';
import type { Verdict } from '../../rollout';
import { normalUpperQuantile } from './distributions';
import { testRatioOfProportions, type ArmSummary, type Direction, type TwoArmCounts } from './proportions';
import { mannWhitney } from './ranks';
import { effectiveSampleSize, minimumCanaryRequests, minimumRankSamples } from './sample-size';
import { lookBoundary, lookRecord, NEVER_REJECT_Z, type LookBoundary, type SequentialLook, type SpendingFunction } from './sequential';

export type MetricKind = 'errors' | 'latency';

export interface MetricCriteria {
  /** Shown in reasons, e.g. "errors" or "p99 latency". */
  readonly name: string;
  readonly direction: Direction;
  /**
   * Relative degradation tolerated without rollback: H0 is canary <= (1 + δ)·baseline when increase is
   * bad (canary >= (1 − δ)·baseline when decrease is bad). 0 means "no worse than the baseline".
   */
  readonly allowedDegradation: number;
  /**
   * Relative degradation that must be detectable (with `power`) before the judge may pass. Default: the
   * allowed ratio ×2 (÷2 when decrease is bad) for errors, ×1.25 (÷1.25) for latency.
   */
  readonly detectableDegradation?: number;
  /** 1 − α, where α is the false-rollback rate over the whole rollout (all looks), e.g. 0.99. */
  readonly confidence: number;
  /** Probability of catching the detectable degradation required for a pass; default 0.8. */
  readonly power?: number;
  /** A failing critical metric fails the analysis whatever the other metrics say. */
  readonly critical?: boolean;
  /**
   * Errors only: the baseline rate assumed for the data requirement when the observed one is lower. A
   * baseline with no errors would otherwise need unbounded data to show a doubling. Default 0.001.
   */
  readonly baselineRateFloor?: number;
}

export interface ErrorsData {
  readonly kind: 'errors';
  /** One window, or one per traffic split when the split changed during the rollout. */
  readonly counts: TwoArmCounts | readonly TwoArmCounts[];
}

export interface LatencyData {
  readonly kind: 'latency';
  readonly canary: readonly number[];
  readonly baseline: readonly number[];
  /** Raw request latencies, or one percentile per period per version (e.g. p99 per minute). */
  readonly points?: 'samples' | 'percentile-points';
}

export type MetricData = ErrorsData | LatencyData;

export interface LookContext {
  /** Effective sample size the rollout plans to collect (see plannedInformation in sample-size.ts). */
  readonly plannedInformation: number;
  /** This metric's earlier looks in the same rollout, oldest first: append each judgement's `look`. */
  readonly previousLooks: readonly SequentialLook[];
  readonly spending?: SpendingFunction;
  /** Steps of the plan whose planned bake is over (stepwise spending). */
  readonly completedSteps?: number;
  /** Canary requests (latency: points) per second now, for the time estimate of an inconclusive look. */
  readonly canaryRatePerSecond?: number;
  /** Canary share of traffic now (0..1), for the data requirement before the canary has any requests. */
  readonly canaryWeight?: number;
}

export interface JudgeMetricInput {
  readonly criteria: MetricCriteria;
  readonly data: MetricData;
  readonly look: LookContext;
}

interface CommonEvidence {
  readonly direction: Direction;
  readonly allowedDegradation: number;
  readonly detectableDegradation: number;
  readonly confidence: number;
  readonly power: number;
  /** H0 boundary as a ratio (errors: of rates; latency: scale factor). */
  readonly nullRatio: number;
  readonly detectableRatio: number;
  /** Score or rank statistic on the z scale, positive toward the bad direction. */
  readonly statistic: number;
  readonly pValue: number;
  /** Nominal p-value threshold of this look (0 when the rollout's alpha is spent). */
  readonly threshold: number;
  readonly boundaryZ: number;
  readonly informationFraction: number;
  readonly information: number;
  readonly plannedInformation: number;
  /** α spent by all looks up to and including this one. */
  readonly alphaSpent: number;
  readonly finalLook: boolean;
  readonly canarySamples: number;
  /** Canary samples this look needs for a pass; null when it cannot be estimated yet. */
  readonly minimumCanarySamples: number | null;
}

export interface ErrorsEvidence extends CommonEvidence {
  readonly kind: 'errors';
  readonly canary: ArmSummary;
  readonly baseline: ArmSummary;
  readonly ratio: number | null;
  readonly relativeChange: number | null;
  readonly ratioBound: { readonly side: 'lower' | 'upper'; readonly value: number | null; readonly confidence: number };
  /** Baseline rate the data requirement used (observed, or the floor). */
  readonly baselineRateUsed: number;
  readonly method: string;
}

export interface LatencyEvidence extends CommonEvidence {
  readonly kind: 'latency';
  readonly points: 'samples' | 'percentile-points';
  readonly canaryCount: number;
  readonly baselineCount: number;
  readonly canaryMedian: number | null;
  readonly baselineMedian: number | null;
  readonly medianRatio: number | null;
  readonly u: number;
  /** Estimated P(canary value > baseline value scaled by the margin); 0.5 means no difference. */
  readonly probabilityCanaryHigher: number;
  readonly method: string;
}

export interface MetricJudgement {
  readonly metric: string;
  readonly verdict: Verdict;
  readonly critical: boolean;
  readonly reason: string;
  readonly evidence: ErrorsEvidence | LatencyEvidence;
  /** Record of this look; append it to `previousLooks` for the next look of this metric. */
  readonly look: SequentialLook;
  readonly requestsNeeded?: number;
  readonly secondsNeeded?: number;
}

export const DEFAULT_POWER = 0.8;
export const DEFAULT_BASELINE_RATE_FLOOR = 0.001;
/** How far beyond the allowed ratio the default detectable degradation lies, per kind. */
export const DEFAULT_DETECTABLE_FACTOR: Readonly<Record<MetricKind, number>> = { errors: 2, latency: 1.25 };

interface Resolved {
  readonly alpha: number;
  readonly power: number;
  readonly nullRatio: number;
  readonly detectableRatio: number;
  readonly detectableDegradation: number;
}

function resolve(criteria: MetricCriteria, kind: MetricKind): Resolved {
  const { direction, allowedDegradation: delta, confidence } = criteria;
  const power = criteria.power ?? DEFAULT_POWER;
  if (!(confidence > 0.5 && confidence < 1)) throw new RangeError(`${criteria.name}: confidence must be in (0.5, 1), got ${confidence}`);
  if (!(power > 0 && power < 1)) throw new RangeError(`${criteria.name}: power must be in (0, 1), got ${power}`);
  const increase = direction === 'increase-is-bad';
  if (!(delta >= 0) || (!increase && delta >= 1)) throw new RangeError(`${criteria.name}: allowedDegradation must be >= 0 (and < 1 when decrease is bad), got ${delta}`);
  const nullRatio = increase ? 1 + delta : 1 - delta;
  const factor = DEFAULT_DETECTABLE_FACTOR[kind];
  const detectableRatio =
    criteria.detectableDegradation === undefined
      ? increase
        ? nullRatio * factor
        : nullRatio / factor
      : increase
        ? 1 + criteria.detectableDegradation
        : 1 - criteria.detectableDegradation;
  if (increase ? !(detectableRatio > nullRatio) : !(detectableRatio < nullRatio && detectableRatio > 0)) {
    throw new RangeError(`${criteria.name}: detectableDegradation must lie beyond allowedDegradation, got ${criteria.detectableDegradation}`);
  }
  return { alpha: 1 - confidence, power, nullRatio, detectableRatio, detectableDegradation: Math.abs(detectableRatio - 1) };
}

/** Judges one metric at one look of a rollout. Throws only for invalid criteria or counts, never for missing data. */
export function judgeMetric(input: JudgeMetricInput): MetricJudgement {
  const { criteria, data, look } = input;
  if (!(look.plannedInformation > 0)) throw new RangeError(`${criteria.name}: plannedInformation must be > 0, got ${look.plannedInformation}`);
  return data.kind === 'errors' ? judgeErrors(criteria, data, look) : judgeLatency(criteria, data, look);
}

function boundaryFor(alpha: number, information: number, look: LookContext): LookBoundary {
  return lookBoundary({
    alpha,
    spending: look.spending,
    informationFraction: information / look.plannedInformation,
    previousLooks: look.previousLooks,
    ...(look.completedSteps === undefined ? {} : { completedSteps: look.completedSteps }),
  });
}

/** The z used for the data requirement: this look's boundary, or the last real one once alpha is spent. */
function powerZ(boundary: LookBoundary, look: LookContext, alpha: number): number {
  if (boundary.boundaryZ < NEVER_REJECT_Z) return boundary.boundaryZ;
  const earlier = look.previousLooks.filter((l) => l.boundaryZ < NEVER_REJECT_Z);
  return earlier[earlier.length - 1]?.boundaryZ ?? normalUpperQuantile(alpha);
}

function judgeErrors(criteria: MetricCriteria, data: ErrorsData, look: LookContext): MetricJudgement {
  const resolved = resolve(criteria, 'errors');
  const windows: readonly TwoArmCounts[] = Array.isArray(data.counts) ? data.counts : [data.counts as TwoArmCounts];
  const information = windows.reduce(
    (sum, w) => sum + effectiveSampleSize(w.canary.successes + w.canary.failures, w.baseline.successes + w.baseline.failures),
    0,
  );
  const boundary = boundaryFor(resolved.alpha, information, look);
  const test = testRatioOfProportions({
    counts: windows,
    direction: criteria.direction,
    nullRatio: resolved.nullRatio,
    level: boundary.nominalAlpha > 0 ? boundary.nominalAlpha : resolved.alpha,
  });
  const floor = criteria.baselineRateFloor ?? DEFAULT_BASELINE_RATE_FLOOR;
  const baselineRateUsed = Math.max(test.baseline.rate ?? 0, floor);
  const nc = test.canary.requests;
  const nb = test.baseline.requests;
  const baselinePerCanary = nc > 0 && nb > 0 ? nb / nc : weightRatio(look.canaryWeight);
  const minimum =
    baselinePerCanary === undefined
      ? null
      : minimumCanaryRequests({
          baselineRate: baselineRateUsed,
          baselinePerCanary,
          nullRatio: resolved.nullRatio,
          detectableRatio: resolved.detectableRatio,
          boundaryZ: powerZ(boundary, look, resolved.alpha),
          power: resolved.power,
        });
  const evidence: ErrorsEvidence = {
    kind: 'errors',
    ...commonEvidence(criteria, resolved, boundary, information, look, test.statistic, test.pValue, nc, minimum),
    canary: test.canary,
    baseline: test.baseline,
    ratio: test.ratio,
    relativeChange: test.relativeChange,
    ratioBound: test.ratioBound,
    baselineRateUsed,
    method: test.method,
  };
  const observed = `canary ${rateText(test.canary)} vs baseline ${rateText(test.baseline)}${test.ratio === null ? '' : ` (×${test.ratio.toFixed(2)})`}`;
  return decide(criteria, resolved, boundary, evidence, observed, 'canary requests', look);
}

function judgeLatency(criteria: MetricCriteria, data: LatencyData, look: LookContext): MetricJudgement {
  const resolved = resolve(criteria, 'latency');
  const points = data.points ?? 'samples';
  const nc = data.canary.length;
  const nb = data.baseline.length;
  const information = effectiveSampleSize(nc, nb);
  const boundary = boundaryFor(resolved.alpha, information, look);
  const test = mannWhitney({ canary: data.canary, baseline: data.baseline, direction: criteria.direction, nullFactor: resolved.nullRatio });
  // Percentile points come one per version per period, so the canary's share is one half.
  const canaryShare = nc > 0 && nb > 0 ? nc / (nc + nb) : points === 'percentile-points' ? 0.5 : look.canaryWeight;
  const minimum =
    canaryShare === undefined || !(canaryShare > 0 && canaryShare < 1) || nb < 2
      ? null
      : finiteOrNull(
          minimumRankSamples({
            baseline: data.baseline,
            canaryShare,
            direction: criteria.direction,
            nullFactor: resolved.nullRatio,
            detectableFactor: resolved.detectableRatio,
            boundaryZ: powerZ(boundary, look, resolved.alpha),
            power: resolved.power,
          }),
        );
  const medianRatio = test.canaryMedian !== null && test.baselineMedian !== null && test.baselineMedian > 0 ? test.canaryMedian / test.baselineMedian : null;
  const evidence: LatencyEvidence = {
    kind: 'latency',
    ...commonEvidence(criteria, resolved, boundary, information, look, test.statistic, test.pValue, nc, minimum),
    points,
    canaryCount: nc,
    baselineCount: nb,
    canaryMedian: test.canaryMedian,
    baselineMedian: test.baselineMedian,
    medianRatio,
    u: test.u,
    probabilityCanaryHigher: test.probabilityCanaryHigher,
    method: test.method,
  };
  const observed =
    test.canaryMedian === null || test.baselineMedian === null
      ? `canary ${nc} vs baseline ${nb} ${points === 'samples' ? 'samples' : 'points'}`
      : `median canary ${formatNumber(test.canaryMedian)} vs baseline ${formatNumber(test.baselineMedian)}${medianRatio === null ? '' : ` (×${medianRatio.toFixed(2)})`}`;
  return decide(criteria, resolved, boundary, evidence, observed, points === 'samples' ? 'canary samples' : 'canary points', look);
}

function commonEvidence(
  criteria: MetricCriteria,
  resolved: Resolved,
  boundary: LookBoundary,
  information: number,
  look: LookContext,
  statistic: number,
  pValue: number,
  canarySamples: number,
  minimum: number | null,
): CommonEvidence {
  return {
    direction: criteria.direction,
    allowedDegradation: criteria.allowedDegradation,
    detectableDegradation: resolved.detectableDegradation,
    confidence: criteria.confidence,
    power: resolved.power,
    nullRatio: resolved.nullRatio,
    detectableRatio: resolved.detectableRatio,
    statistic,
    pValue,
    threshold: boundary.nominalAlpha,
    boundaryZ: boundary.boundaryZ,
    informationFraction: boundary.informationFraction,
    information,
    plannedInformation: look.plannedInformation,
    alphaSpent: boundary.alphaSpent,
    finalLook: boundary.final,
    canarySamples,
    minimumCanarySamples: minimum === null || !Number.isFinite(minimum) ? null : minimum,
  };
}

function decide(
  criteria: MetricCriteria,
  resolved: Resolved,
  boundary: LookBoundary,
  evidence: ErrorsEvidence | LatencyEvidence,
  observed: string,
  unit: string,
  look: LookContext,
): MetricJudgement {
  const base = { metric: criteria.name, critical: criteria.critical ?? false, evidence, look: lookRecord(boundary) };
  // Data that shrank since the last look means the caller passed only a recent window: say so, since such
  // a look spends no alpha and so cannot fail.
  const latest = look.previousLooks.reduce((most, l) => Math.max(most, l.informationFraction), 0);
  const stale =
    evidence.information / look.plannedInformation < latest && !boundary.final
      ? ' (less information than at the last look: counts must be cumulative since the rollout\'s first look; this look cannot fail)'
      : '';
  const allowed = `×${resolved.nullRatio.toFixed(2)}`;
  const detectable = `×${resolved.detectableRatio.toFixed(2)}`;
  const p = formatP(evidence.pValue);
  if (boundary.nominalAlpha > 0 && evidence.pValue <= boundary.nominalAlpha) {
    return {
      ...base,
      verdict: 'fail',
      reason: `${criteria.name}: ${observed}; worse than the allowed ${allowed} with p = ${p} <= ${formatP(boundary.nominalAlpha)}, this look's threshold (α = ${formatP(1 - criteria.confidence)} over the whole rollout)`,
    };
  }
  const minimum = evidence.minimumCanarySamples;
  if (minimum !== null && evidence.canarySamples >= minimum) {
    return {
      ...base,
      verdict: 'pass',
      reason: `${criteria.name}: ${observed}; no evidence of worse than ${allowed} (p = ${p}${boundary.nominalAlpha > 0 ? ` > ${formatP(boundary.nominalAlpha)}` : ', alpha spent'}), and ${formatCount(evidence.canarySamples)} ${unit} are enough to catch ${detectable}${stale}`,
    };
  }
  const noData = evidence.canarySamples === 0 ? `no ${unit} yet` : `${formatCount(evidence.canarySamples)} ${unit}`;
  if (minimum === null) {
    return { ...base, verdict: 'inconclusive', reason: `${criteria.name}: not enough data to judge (${noData}; ${observed}); the data needed cannot be estimated yet${stale}` };
  }
  const requestsNeeded = minimum - evidence.canarySamples;
  const rate = look.canaryRatePerSecond;
  const secondsNeeded = rate !== undefined && rate > 0 ? Math.ceil(requestsNeeded / rate) : undefined;
  const eta = secondsNeeded === undefined ? '' : ` (about ${formatDuration(secondsNeeded)} at ${formatNumber(rate ?? 0)}/s)`;
  return {
    ...base,
    verdict: 'inconclusive',
    reason: `${criteria.name}: not enough data to judge: ${noData}, ${formatCount(requestsNeeded)} more needed to catch ${detectable}${eta}; so far ${observed}, p = ${p}${stale}`,
    requestsNeeded,
    ...(secondsNeeded === undefined ? {} : { secondsNeeded }),
  };
}

function weightRatio(weight: number | undefined): number | undefined {
  return weight !== undefined && weight > 0 && weight < 1 ? (1 - weight) / weight : undefined;
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

export interface CombineOptions {
  /** Failed non-critical metrics tolerated before the analysis fails; default 0. */
  readonly maxNonCriticalFailures?: number;
}

export interface CombinedJudgement {
  readonly verdict: Verdict;
  readonly reason: string;
  readonly failed: readonly string[];
  readonly inconclusive: readonly string[];
  /** Largest data requirement among inconclusive metrics. */
  readonly requestsNeeded?: number;
  readonly secondsNeeded?: number;
}

/**
 * Folds metric judgements: a failed critical metric fails the analysis; failed non-critical metrics fail it
 * beyond the tolerance; otherwise any inconclusive metric (or no metric at all) keeps the analysis
 * inconclusive; only then pass. Inconclusive never becomes pass.
 */
export function combineVerdicts(
  judgements: ReadonlyArray<Pick<MetricJudgement, 'metric' | 'verdict' | 'critical' | 'reason' | 'requestsNeeded' | 'secondsNeeded'>>,
  options: CombineOptions = {},
): CombinedJudgement {
  const tolerance = options.maxNonCriticalFailures ?? 0;
  const failed = judgements.filter((j) => j.verdict === 'fail');
  const failedCritical = failed.filter((j) => j.critical);
  const failedOther = failed.filter((j) => !j.critical);
  const inconclusive = judgements.filter((j) => j.verdict === 'inconclusive');
  const names = { failed: failed.map((j) => j.metric), inconclusive: inconclusive.map((j) => j.metric) };
  if (judgements.length === 0) return { verdict: 'inconclusive', reason: 'no metrics were judged', ...names };
  if (failedCritical.length > 0) {
    return { verdict: 'fail', reason: `critical metric failed: ${failedCritical.map((j) => j.reason).join('; ')}`, ...names };
  }
  if (failedOther.length > tolerance) {
    return { verdict: 'fail', reason: `${failedOther.length} metric(s) failed (tolerated: ${tolerance}): ${failedOther.map((j) => j.reason).join('; ')}`, ...names };
  }
  const toleratedNote = failedOther.length > 0 ? `; tolerated failure: ${failedOther.map((j) => j.reason).join('; ')}` : '';
  if (inconclusive.length > 0) {
    const needs = inconclusive.map((j) => j.requestsNeeded).filter((n): n is number => n !== undefined);
    const seconds = inconclusive.map((j) => j.secondsNeeded).filter((n): n is number => n !== undefined);
    return {
      verdict: 'inconclusive',
      reason: inconclusive.map((j) => j.reason).join('; ') + toleratedNote,
      ...names,
      ...(needs.length > 0 ? { requestsNeeded: Math.max(...needs) } : {}),
      ...(seconds.length > 0 ? { secondsNeeded: Math.max(...seconds) } : {}),
    };
  }
  return { verdict: 'pass', reason: judgements.filter((j) => j.verdict === 'pass').map((j) => j.reason).join('; ') + toleratedNote, ...names };
}

// ---- formatting for reasons a person reads ----

function rateText(arm: ArmSummary): string {
  return arm.rate === null ? 'no requests' : `${(arm.rate * 100).toFixed(2)}% (${formatCount(arm.failures)}/${formatCount(arm.requests)})`;
}

function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function formatNumber(x: number): string {
  return Number.isInteger(x) ? x.toLocaleString('en-US') : x.toPrecision(3);
}

function formatP(p: number): string {
  if (p === 0) return '0';
  return p >= 0.001 ? p.toPrecision(2) : p.toExponential(1);
}

