/**
 * The simulator's seeded random source: mulberry32 for uniforms, the polar method for normals,
 * exponential gaps for Poisson arrivals. shared/judges/statistics/random.ts has richer exact samplers;
 * this one exists because the traffic generator draws several numbers per simulated request, and under
 * Jest (which runs code in a vm context) every `Math.*` lookup through the global costs close to a
 * microsecond: the functions below are bound once, at module scope.
 */
const { imul, log, sqrt } = Math;

export interface SimulationRandom {
  /** Uniform on (0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
  /** Exponential with mean 1: the gap between two arrivals of a unit-rate Poisson process. */
  exponential(): number;
}

export function createSimulationRandom(seed: number): SimulationRandom {
  let state = seed >>> 0;
  let spare: number | undefined;

  function uniform(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  }

  function normal(): number {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    for (;;) {
      const u = 2 * uniform() - 1;
      const v = 2 * uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const factor = sqrt((-2 * log(s)) / s);
        spare = v * factor;
        return u * factor;
      }
    }
  }

  return { uniform, normal, exponential: () => -log(uniform()) };
}
