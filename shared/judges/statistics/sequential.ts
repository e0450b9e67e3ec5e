/**
 * Group-sequential boundaries by alpha spending (Lan and DeMets, 1983): the judge looks at the data many
 * times during a rollout, and each look may reject ("the canary is worse") only at a boundary chosen so that
 * the probability of any false rejection across all looks stays at or below α.
 *
 * The spending function α(t) says how much of α may have been used by information fraction t (the share
 * of the planned information seen so far). At a look with fraction t_k the boundary c_k solves
 *
 *   P(Z_1 < c_1, …, Z_{k-1} < c_{k-1}, Z_k >= c_k) = α(t_k) - α(t_{k-1})
 *
 * under H0, where Z_k are the cumulative test statistics: jointly normal with corr(Z_i, Z_j) = √(t_i/t_j)
 * (a Brownian motion B(t) observed at t_k, Z_k = B(t_k)/√t_k). The probability is computed by recursive
 * numerical integration over the continuation region, exactly as in Armitage, McPherson and Rowe (1969):
 * the sub-density of B at each look is kept on a grid, linear between nodes, and integrated against the
 * Gaussian increment in closed form, so close looks (tiny increments) are as accurate as distant ones.
 *
 * Only an upper (rejection) boundary exists: a canary is never stopped early for looking good.
 */
import { normalPdf, normalSf, normalTailGivenPdf, normalUpperQuantile } from './distributions';

// Module-level copies: inside a vm context (jest) every lookup of a global such as Math costs ~0.5 µs.
const { abs, ceil, floor, log, max, min, pow, sqrt } = Math;

export type SpendingFunction =
  /** α·ln(1 + (e − 1)·t): spends α nearly evenly in information; catches large regressions early. */
  | { readonly kind: 'pocock' }
  /** 2 − 2Φ(z_{1−α/2}/√t): keeps almost all α for the end; early looks reject only on overwhelming evidence. */
  | { readonly kind: 'obrien-fleming' }
  /** α·t^ρ (Kim and DeMets): ρ = 1 is linear; larger ρ keeps more for the end. */
  | { readonly kind: 'power'; readonly rho: number }
  | StepwiseSpending;

/**
 * Spending by the steps of a rollout plan. By the end of step k (its planned bake baked) α·T_k^ρ is spent,
 * where T_k is the share of the planned information the plan collects by then. Within a step a look a
 * minute spends `withinStepShare` of the step's part, in proportion to the information it has seen of the
 * step, and the step's last look gets the rest: that look, at the end of the step's bake, is the one that
 * also decides a pass, and a regression confined to the early, low-weight steps must be caught by then.
 * The spent α depends on the looks' clock as well as on t, so each look records what it spent (alphaSpent).
 */
export interface StepwiseSpending {
  readonly kind: 'stepwise';
  /** T_k for each step, increasing to 1: the planned information share by the end of step k. */
  readonly stepEnds: readonly number[];
  readonly rho: number;
  readonly withinStepShare: number;
}

/**
 * α·t^0.4, the spending when a caller gives none, and the one looks recorded without alphaSpent used: it
 * front-loads spending, since the first, low-weight step of a rollout holds little of its information, yet
 * that is where a bad canary hurts fewest users. The metrics judge, which knows the plan's steps, spends
 * stepwise (stepwiseSpending).
 */
export const DEFAULT_SPENDING: SpendingFunction = { kind: 'power', rho: 0.4 };

/**
 * The stepwise defaults, chosen on the benchmark (docs/statistics.md has the grid): ρ = 0.4 at the step
 * ends and half of each step's part at its last look catch ×3 errors in a 5 % first step by its end, ×10 in
 * its first minute, and ×1.5 over the whole rollout, each at ≥ 0.9 of the fixed-sample limit.
 */
export const STEP_RHO = 0.4;
export const WITHIN_STEP_SHARE = 0.5;

/** Stepwise spending over a plan whose steps collect these shares of its information (any scale). */
export function stepwiseSpending(stepInformation: readonly number[], rho = STEP_RHO, withinStepShare = WITHIN_STEP_SHARE): StepwiseSpending {
  const total = stepInformation.reduce((sum, x) => sum + x, 0);
  let cumulative = 0;
  const stepEnds = stepInformation.map((x) => {
    cumulative += x;
    return total > 0 ? min(1, cumulative / total) : 1;
  });
  return { kind: 'stepwise', stepEnds, rho, withinStepShare };
}

/** A boundary this high stands for "no alpha left: this look cannot reject". Finite so it survives JSON. */
export const NEVER_REJECT_Z = 40;

/** What a rollout keeps between looks: enough to recompute every later boundary. */
export interface SequentialLook {
  /** Share of the planned information seen at this look: in (0, 1], or above 1 with stepwise spending. */
  readonly informationFraction: number;
  /** Rejection boundary on the z scale used at this look. */
  readonly boundaryZ: number;
  /**
   * α spent by this and all earlier looks. Absent on looks recorded before it was kept: those spent by
   * DEFAULT_SPENDING, the only spending there was, so their α(t) is recomputed from it.
   */
  readonly alphaSpent?: number;
}

export interface LookBoundary extends SequentialLook {
  /** One-sided p-value threshold equivalent to the boundary: reject when p <= nominalAlpha. */
  readonly nominalAlpha: number;
  readonly alphaSpent: number;
  /** The part of α this look may spend. */
  readonly alphaThisLook: number;
  /** True when later looks have no alpha left: all of it spent, or the fraction reached 1 (isFinal). */
  readonly final: boolean;
}

export interface LookBoundaryInput {
  /** Overall one-sided false-rejection rate for the whole rollout, e.g. 0.01. */
  readonly alpha: number;
  readonly spending?: SpendingFunction;
  /** Share of the planned information seen so far; above 1 counts as 1 (the last look) but with stepwise spending. */
  readonly informationFraction: number;
  /** Earlier looks of the same rollout, oldest first. */
  readonly previousLooks: readonly SequentialLook[];
  /** Steps of the plan whose planned bake is over at this look (stepwise spending; ignored by the others). */
  readonly completedSteps?: number;
}

/**
 * The information fraction a look integrates at. A function of t alone spends all α at t = 1, so more
 * information than planned counts as 1. Stepwise spending ends with the plan's steps instead: its t runs on
 * past 1 (an extra bake at a low weight can collect more than the plan), so that the α left for the later
 * steps is still spent on their information.
 */
function lookFraction(spending: SpendingFunction, informationFraction: number): number {
  return spending.kind === 'stepwise' ? informationFraction : min(1, informationFraction);
}

/** Whether a look leaves later looks no α: all of it spent, or (a function of t) t reached 1. */
function isFinal(spending: SpendingFunction, alpha: number, t: number, alphaSpent: number): boolean {
  return alphaSpent >= alpha || (spending.kind !== 'stepwise' && t >= 1);
}

/**
 * α(t): the alpha the spending function allows to have been used by information fraction t, once
 * `completedSteps` of the plan's steps have baked their planned time (stepwise spending only).
 */
export function alphaSpentBy(spending: SpendingFunction, alpha: number, t: number, completedSteps = 0): number {
  if (spending.kind === 'stepwise') return stepwiseSpent(spending, alpha, t, completedSteps);
  if (t <= 0) return 0;
  if (t >= 1) return alpha;
  switch (spending.kind) {
    case 'pocock':
      return alpha * log(1 + (Math.E - 1) * t);
    case 'obrien-fleming':
      return 2 * normalSf(normalUpperQuantile(alpha / 2) / sqrt(t));
    case 'power':
      return alpha * pow(t, spending.rho);
  }
}

function stepwiseSpent(spending: StepwiseSpending, alpha: number, t: number, completedSteps: number): number {
  const ends = spending.stepEnds;
  const done = max(0, min(ends.length, floor(completedSteps)));
  if (done >= ends.length) return alpha;
  const from = done === 0 ? 0 : (ends[done - 1] as number);
  const to = ends[done] as number;
  const spentFrom = alpha * pow(from, spending.rho);
  const stepPart = alpha * pow(to, spending.rho) - spentFrom;
  const withinStep = to > from ? min(1, max(0, (t - from) / (to - from))) : 0;
  return spentFrom + stepPart * spending.withinStepShare * withinStep;
}

/** What the earlier looks spent: the latest's record, or for looks without one, DEFAULT_SPENDING's α(t). */
function spentByLooks(looks: readonly SequentialLook[], alpha: number): number {
  return looks.reduce((spent, look) => max(spent, look.alphaSpent ?? alphaSpentBy(DEFAULT_SPENDING, alpha, look.informationFraction)), 0);
}

/** Boundaries already computed, by history: simulations and warm Lambda containers repeat histories. */
const memo = new Map<string, LookBoundary>();
const MEMO_LIMIT = 512;

/** The rejection boundary for the next look of a rollout. Pure: the same history gives the same boundary. */
export function lookBoundary(input: LookBoundaryInput): LookBoundary {
  const key = JSON.stringify([input.alpha, input.spending ?? DEFAULT_SPENDING, input.informationFraction, input.completedSteps ?? 0, input.previousLooks]);
  const known = memo.get(key);
  if (known !== undefined) return known;
  const result = computeLookBoundary(input);
  if (memo.size >= MEMO_LIMIT) memo.delete(memo.keys().next().value as string);
  memo.set(key, result);
  return result;
}

function computeLookBoundary(input: LookBoundaryInput): LookBoundary {
  const spending = input.spending ?? DEFAULT_SPENDING;
  checkAlpha(input.alpha);
  if (spending.kind === 'power' && !(spending.rho > 0)) throw new RangeError(`power spending needs rho > 0, got ${spending.rho}`);
  if (!(input.informationFraction >= 0)) throw new RangeError(`informationFraction must be >= 0, got ${input.informationFraction}`);
  const looks = rejectingLooks(input.previousLooks);

  const t = lookFraction(spending, input.informationFraction);
  const tLast = latestFraction(input.previousLooks);
  const spentBefore = spentByLooks(input.previousLooks, input.alpha);
  if (t <= tLast || t === 0) {
    // No new information since the last look (or none at all): nothing to spend.
    return never(max(t, tLast), spentBefore, isFinal(spending, input.alpha, tLast, spentBefore));
  }
  const alphaSpent = alphaSpentBy(spending, input.alpha, t, input.completedSteps);
  const alphaThisLook = alphaSpent - spentBefore;
  if (alphaThisLook <= 0) return never(t, spentBefore, isFinal(spending, input.alpha, t, spentBefore));

  const boundaryZ = looks.length === 0 ? normalUpperQuantile(alphaThisLook) : solveBoundary(continuationDensity(looks), t, alphaThisLook);
  return finite(t, boundaryZ, alphaSpent, alphaThisLook, isFinal(spending, input.alpha, t, alphaSpent));
}

/** What a later look needs of this one: its fraction, its boundary and the α spent through it. */
export function lookRecord(boundary: LookBoundary): SequentialLook {
  return { informationFraction: boundary.informationFraction, boundaryZ: boundary.boundaryZ, alphaSpent: boundary.alphaSpent };
}

export interface ScheduleInput {
  readonly alpha: number;
  readonly spending?: SpendingFunction;
  /** Information fractions of all looks, increasing; the last is normally 1. */
  readonly informationFractions: readonly number[];
  /** Completed steps at each look (stepwise spending), as LookBoundaryInput.completedSteps. */
  readonly completedSteps?: readonly number[];
}

/**
 * Boundaries for a whole schedule of looks at once, carrying the integration forward (cost linear in the
 * number of looks). Gives the same boundaries as calling lookBoundary look by look; for planners,
 * simulators and benchmarks, where the fractions are known in advance.
 */
export function scheduleBoundaries(input: ScheduleInput): LookBoundary[] {
  const spending = input.spending ?? DEFAULT_SPENDING;
  checkAlpha(input.alpha);
  const result: LookBoundary[] = [];
  let density: GridDensity | undefined;
  let tLast = 0;
  let spentBefore = 0;
  for (const [i, fraction] of input.informationFractions.entries()) {
    const t = lookFraction(spending, fraction);
    if (!(t > tLast)) throw new RangeError(`schedule fractions must increase, got ${fraction} after ${tLast}`);
    const alphaSpent = max(spentBefore, alphaSpentBy(spending, input.alpha, t, input.completedSteps?.[i]));
    const alphaThisLook = alphaSpent - spentBefore;
    const boundaryZ =
      alphaThisLook <= 0 ? NEVER_REJECT_Z : density === undefined ? normalUpperQuantile(alphaThisLook) : solveBoundary(density, t, alphaThisLook);
    const look = finite(t, boundaryZ, alphaSpent, alphaThisLook, isFinal(spending, input.alpha, t, alphaSpent));
    result.push(look);
    const b = look.boundaryZ * sqrt(t);
    density = density === undefined ? initialDensity(t, b, 0) : propagate(density, t, b, 0);
    tLast = t;
    spentBefore = alphaSpent;
  }
  return result;
}

function finite(t: number, z: number, alphaSpent: number, alphaThisLook: number, final: boolean): LookBoundary {
  const boundaryZ = min(z, NEVER_REJECT_Z);
  return { informationFraction: t, boundaryZ, nominalAlpha: normalSf(boundaryZ), alphaSpent, alphaThisLook, final };
}

/**
 * P(reject at some look) under a drift θ (the mean of Z at t = 1), for boundaries already computed.
 * θ = 0 gives the false-rejection rate the boundaries were built for; used by tests and by the planner
 * to show what a sequential design costs in power.
 */
export function crossingProbability(looks: readonly SequentialLook[], drift = 0): number {
  let total = 0;
  let density: GridDensity | undefined;
  for (const look of rejectingLooks(looks)) {
    const t = look.informationFraction;
    const b = look.boundaryZ * sqrt(t);
    if (density === undefined) {
      total += normalSf((b - drift * t) / sqrt(t));
      density = initialDensity(t, b, drift);
    } else {
      total += crossingMass(density, t, b, drift);
      density = propagate(density, t, b, drift);
    }
  }
  return total;
}

function never(t: number, alphaSpent: number, final: boolean): LookBoundary {
  return { informationFraction: t, boundaryZ: NEVER_REJECT_Z, nominalAlpha: 0, alphaSpent, alphaThisLook: 0, final };
}

function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 0.5)) throw new RangeError(`alpha must be in (0, 0.5), got ${alpha}`);
}

/**
 * Validates a rollout's looks and returns those that could reject, which must have strictly increasing
 * fractions. Looks that spent nothing (boundary NEVER_REJECT_Z: no new information, or after the final
 * look) are skipped: a look that cannot reject does not truncate the Brownian path, so leaving it out of
 * the integration is exact.
 */
function rejectingLooks(looks: readonly SequentialLook[]): SequentialLook[] {
  const result: SequentialLook[] = [];
  let previous = 0;
  for (const look of looks) {
    if (!(look.informationFraction >= 0 && Number.isFinite(look.informationFraction))) {
      throw new RangeError(`look information fractions must be finite and >= 0, got ${look.informationFraction}`);
    }
    if (Number.isNaN(look.boundaryZ)) throw new RangeError('look boundaryZ is NaN');
    if (look.boundaryZ >= NEVER_REJECT_Z) continue;
    if (!(look.informationFraction > previous)) {
      throw new RangeError(`rejecting looks must have increasing information fractions, got ${look.informationFraction} after ${previous}`);
    }
    result.push(look);
    previous = look.informationFraction;
  }
  return result;
}

function latestFraction(looks: readonly SequentialLook[]): number {
  return looks.reduce((latest, look) => max(latest, look.informationFraction), 0);
}

// ---- numerical integration on the Brownian scale x = B(t) = Z·√t ----

/**
 * Grid nodes per look (odd: pairs of intervals form quadratic panels). Quadratic pieces integrated exactly
 * against the Gaussian kernel leave errors of order h⁴: boundaries agree with published values to 1e-4.
 */
const GRID_NODES = 201;
/** The grid spans ±10 standard deviations: the mass outside is below 1e-23. */
const GRID_SPAN_SD = 10;
/** Beyond this many kernel widths a panel contributes nothing representable. */
const KERNEL_REACH = 12;

/** Sub-density of B(t) on the continuation region (no rejection so far), on a uniform grid. */
interface GridDensity {
  readonly t: number;
  readonly lo: number;
  readonly step: number;
  readonly values: Float64Array;
}

/** Quadratic through three nodes, in powers of d = y − (middle node): c0 + c1·d + c2·d². */
interface Panel {
  readonly middle: number;
  readonly c0: number;
  readonly c1: number;
  readonly c2: number;
}

function panels(density: GridDensity): Panel[] {
  const g = density.values;
  const h = density.step;
  const result: Panel[] = [];
  for (let i = 0; i + 2 < g.length; i += 2) {
    const g0 = g[i] as number;
    const g1 = g[i + 1] as number;
    const g2 = g[i + 2] as number;
    result.push({ middle: density.lo + (i + 1) * h, c0: g1, c1: (g2 - g0) / (2 * h), c2: (g2 - 2 * g1 + g0) / (2 * h * h) });
  }
  return result;
}

function gridFor(t: number, upper: number): { lo: number; step: number } {
  const sd = sqrt(t);
  const lo = -GRID_SPAN_SD * sd;
  const hi = min(upper, GRID_SPAN_SD * sd);
  return { lo, step: (hi - lo) / (GRID_NODES - 1) };
}

function initialDensity(t: number, upper: number, drift: number): GridDensity {
  const { lo, step } = gridFor(t, upper);
  const sd = sqrt(t);
  const values = new Float64Array(GRID_NODES);
  for (let i = 0; i < GRID_NODES; i += 1) values[i] = normalPdf((lo + i * step - drift * t) / sd) / sd;
  return { t, lo, step, values };
}

/**
 * Continuation densities already computed, by the looks that made them: a rollout's next look extends the
 * same history by one look, so it pays one propagation instead of one per remembered look.
 */
const densities = new Map<string, GridDensity>();

function continuationDensity(looks: readonly SequentialLook[]): GridDensity {
  let density: GridDensity | undefined;
  let key = '';
  for (const look of looks) {
    key += `${look.informationFraction}:${look.boundaryZ};`;
    const known = densities.get(key);
    if (known !== undefined) {
      density = known;
      continue;
    }
    const b = look.boundaryZ * sqrt(look.informationFraction);
    density = density === undefined ? initialDensity(look.informationFraction, b, 0) : propagate(density, look.informationFraction, b, 0);
    if (densities.size >= MEMO_LIMIT) densities.delete(densities.keys().next().value as string);
    densities.set(key, density);
  }
  if (density === undefined) throw new Error('continuationDensity needs at least one look');
  return density;
}

/**
 * The sub-density at the next look, restricted to x < upper: g'(x) = ∫ g(y)·φ((y − x − μ)/s)/s dy with
 * s² = t' − t and μ the drift's increment. With v = (y − x − μ)/s each quadratic panel becomes
 * a + b·v + c·v² against φ(v), whose integrals are Φ, −φ and Φ − v·φ.
 */
function propagate(density: GridDensity, tNext: number, upper: number, drift: number): GridDensity {
  const s = sqrt(tNext - density.t);
  const shift = drift * (tNext - density.t);
  const { lo, step } = gridFor(tNext, upper);
  const pieces = panels(density);
  const width = 2 * density.step;
  const values = new Float64Array(GRID_NODES);
  for (let j = 0; j < GRID_NODES; j += 1) {
    const x = lo + j * step - shift;
    const first = max(0, floor((x - KERNEL_REACH * s - density.lo) / width));
    const end = min(pieces.length, ceil((x + KERNEL_REACH * s - density.lo) / width));
    let sum = 0;
    let vA = (density.lo + first * width - x) / s;
    let pdfA = normalPdf(vA);
    let tailA = normalTailGivenPdf(abs(vA), pdfA);
    for (let i = first; i < end; i += 1) {
      const panel = pieces[i] as Panel;
      const vB = (panel.middle + density.step - x) / s;
      const pdfB = normalPdf(vB);
      const tailB = normalTailGivenPdf(abs(vB), pdfB);
      const m0 = massBetween(vA, tailA, vB, tailB);
      const m1 = pdfA - pdfB;
      const m2 = m0 - (vB * pdfB - vA * pdfA);
      const e = x - panel.middle;
      const a = panel.c0 + panel.c1 * e + panel.c2 * e * e;
      const b = (panel.c1 + 2 * panel.c2 * e) * s;
      const c = panel.c2 * s * s;
      sum += a * m0 + b * m1 + c * m2;
      vA = vB;
      tailA = tailB;
      pdfA = pdfB;
    }
    values[j] = max(0, sum);
  }
  return { t: tNext, lo, step, values };
}

/** P(vA < Z < vB) from precomputed tails Q(|v|), without cancellation. */
function massBetween(vA: number, tailA: number, vB: number, tailB: number): number {
  if (vA >= 0) return tailA - tailB;
  if (vB <= 0) return tailB - tailA;
  return 1 - tailA - tailB;
}

/** Antiderivatives of Q(u), u·Q(u) and u²·Q(u). */
function tailIntegrals(u: number): [number, number, number] {
  const q = normalSf(u);
  const f = normalPdf(u);
  return [u * q - f, 0.5 * ((u * u - 1) * q - u * f), (u * u * u * q - (u * u + 2) * f) / 3];
}

/**
 * P(no rejection before, B(t') >= upper) = ∫ g(y)·Q((upper − μ − y)/s) dy. With u = (upper − μ − y)/s
 * each panel becomes s·∫ (a + b·u + c·u²)·Q(u) du, integrated in closed form.
 */
function crossingMass(density: GridDensity, tNext: number, upper: number, drift: number): number {
  const s = sqrt(tNext - density.t);
  const bound = upper - drift * (tNext - density.t);
  let total = 0;
  for (const panel of panels(density)) {
    const uHigh = (bound - (panel.middle - density.step)) / s;
    const uLow = (bound - (panel.middle + density.step)) / s;
    if (uLow > 40) continue;
    if (uHigh < -40) {
      // Q is 1 over the whole panel: Simpson's rule is exact for the quadratic.
      total += 2 * density.step * (panel.c0 + (panel.c2 * density.step * density.step) / 3);
      continue;
    }
    const e = bound - panel.middle;
    const a = panel.c0 + panel.c1 * e + panel.c2 * e * e;
    const b = -(panel.c1 + 2 * panel.c2 * e) * s;
    const c = panel.c2 * s * s;
    const high = tailIntegrals(uHigh);
    const low = tailIntegrals(uLow);
    total += s * (a * (high[0] - low[0]) + b * (high[1] - low[1]) + c * (high[2] - low[2]));
  }
  return max(0, total);
}

function solveBoundary(density: GridDensity, t: number, target: number): number {
  const sqrtT = sqrt(t);
  let low = -GRID_SPAN_SD;
  let high = NEVER_REJECT_Z;
  if (crossingMass(density, t, high * sqrtT, 0) >= target) return high;
  for (let iteration = 0; iteration < 200 && high - low > 1e-9; iteration += 1) {
    const middle = 0.5 * (low + high);
    if (crossingMass(density, t, middle * sqrtT, 0) > target) low = middle;
    else high = middle;
  }
  return 0.5 * (low + high);
}
