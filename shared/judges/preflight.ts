/**
 * The judges' checks before traffic moves. Only the alarm judge has any (its alarms exist, none is firing
 * unless overridden); the metrics and minimum-sample judges read what Lambda publishes as invocations
 * happen, so there is nothing of theirs to check yet, and the preflight bundle carries none of their code.
 */
import type { AnalysisConfig } from '../config/request';
import type { Target } from '../config/targets';
import { cloudWatchAlarmsKind } from './cloudwatch-alarms';
import type { JudgeKind, JudgePreflightOptions, PreflightJudge } from './types';

const PREFLIGHT_KINDS: readonly JudgeKind<PreflightJudge>[] = [cloudWatchAlarmsKind];

/** Runs the preflight of every judge of `analysis` that has one; throws the first refusal. */
export async function preflightJudges(analysis: AnalysisConfig, target: Target, options: JudgePreflightOptions): Promise<void> {
  for (const kind of PREFLIGHT_KINDS) {
    if (kind.appliesTo(analysis, target)) await kind.create(analysis, target).preflight(options);
  }
}
