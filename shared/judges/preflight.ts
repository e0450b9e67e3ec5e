/**
 * The judges' checks before traffic moves. Only the alarm judge has any (its alarms exist, none is firing
 * unless overridden); the metrics and minimum-sample judges read what Lambda publishes as invocations
 * happen, so there is nothing of theirs to check yet, and the preflight bundle carries none of their code.
 * The alarm judge's module, and with it the CloudWatch client, is imported only for a request with alarms.
 */
import type { AnalysisConfig } from '../config/request';
import type { Target } from '../config/targets';
import { asksForAlarms } from './alarm-states';
import type { JudgeKind, JudgePreflightOptions, PreflightJudge } from './types';

/** A kind with a preflight: whether the request asks for it, without I/O, and its module, imported when it does. */
interface LazyPreflightKind extends Pick<JudgeKind, 'appliesTo'> {
  load(): Promise<JudgeKind<PreflightJudge>>;
}

const PREFLIGHT_KINDS: readonly LazyPreflightKind[] = [
  { appliesTo: asksForAlarms, load: async () => (await import('./cloudwatch-alarms')).cloudWatchAlarmsKind },
];

/** Runs the preflight of every judge of `analysis` that has one; throws the first refusal. */
export async function preflightJudges(analysis: AnalysisConfig, target: Target, options: JudgePreflightOptions): Promise<void> {
  for (const kind of PREFLIGHT_KINDS) {
    if (kind.appliesTo(analysis, target)) await (await kind.load()).create(analysis, target).preflight(options);
  }
}
