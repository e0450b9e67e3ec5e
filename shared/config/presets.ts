/**
 * Traffic-shifting presets, named after AWS CodeDeploy's Lambda deployment configurations and shaped
 * like them: `canary10-5m` is CodeDeployDefault.LambdaCanary10Percent5Minutes (10 %, bake 5 minutes,
 * then the rest), `linear10-1m` is LambdaLinear10PercentEvery1Minute (+10 % each minute), `all-at-once`
 * is LambdaAllAtOnce.
 */
export interface Shape {
  /** Canary share in percent after each shift; strictly increasing, the last is 100. */
  readonly weights: readonly number[];
  /** Seconds to bake after each shift below 100 % before the analysis. */
  readonly bakeSeconds: number;
}

const LINEAR_10 = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100] as const;

export const PRESETS = {
  'canary10-5m': { weights: [10, 100], bakeSeconds: 5 * 60 },
  'canary10-10m': { weights: [10, 100], bakeSeconds: 10 * 60 },
  'canary10-15m': { weights: [10, 100], bakeSeconds: 15 * 60 },
  'canary10-30m': { weights: [10, 100], bakeSeconds: 30 * 60 },
  'linear10-1m': { weights: LINEAR_10, bakeSeconds: 60 },
  'linear10-2m': { weights: LINEAR_10, bakeSeconds: 2 * 60 },
  'linear10-3m': { weights: LINEAR_10, bakeSeconds: 3 * 60 },
  'linear10-10m': { weights: LINEAR_10, bakeSeconds: 10 * 60 },
  'all-at-once': { weights: [100], bakeSeconds: 0 },
} as const satisfies Record<string, Shape>;

export type PresetName = keyof typeof PRESETS;

export const PRESET_NAMES = Object.keys(PRESETS) as [PresetName, ...PresetName[]];
