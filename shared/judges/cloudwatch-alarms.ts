/**
 * The CloudWatch alarm judge: reads the listed alarms with DescribeAlarms (metric and composite alarms)
 * and leaves the verdict to assessAlarmStates.
 */
import { DescribeAlarmsCommand, type CompositeAlarm, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { cloudWatchClient } from '../aws/cloudwatch';
import { AlarmAlreadyFiring, PreflightFailed, awsCall } from '../errors';
import type { AnalysisConfig } from '../config/request';
import { ALARM_JUDGE, asksForAlarms, assessAlarmStates, type AlarmSnapshot, type AlarmStateValue } from './alarm-states';
import type { AnalysisContext, JudgeKind, JudgePreflightOptions, JudgeResult, PreflightJudge } from './types';

/** DescribeAlarms takes at most 100 names per call. */
const NAMES_PER_CALL = 100;

function snapshotOf(alarm: MetricAlarm | CompositeAlarm): AlarmSnapshot | undefined {
  if (alarm.AlarmName === undefined || alarm.StateValue === undefined) return undefined;
  return {
    name: alarm.AlarmName,
    state: alarm.StateValue as AlarmStateValue,
    reason: alarm.StateReason ?? '',
    updatedAt: alarm.StateUpdatedTimestamp?.toISOString() ?? null,
  };
}

/** Current state of each named alarm that exists. */
export async function readAlarmStates(names: readonly string[]): Promise<AlarmSnapshot[]> {
  const snapshots: AlarmSnapshot[] = [];
  for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
    const chunk = names.slice(i, i + NAMES_PER_CALL);
    let nextToken: string | undefined;
    do {
      const page = await awsCall('DescribeAlarms', () =>
        cloudWatchClient().send(
          new DescribeAlarmsCommand({
            AlarmNames: chunk,
            AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
            NextToken: nextToken,
          }),
        ),
      );
      for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        const snapshot = snapshotOf(alarm);
        if (snapshot !== undefined) snapshots.push(snapshot);
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
  }
  return snapshots;
}

export class CloudWatchAlarmJudge implements PreflightJudge {
  readonly name = ALARM_JUDGE;

  constructor(
    private readonly alarmNames: readonly string[],
    private readonly insufficientData: AnalysisConfig['insufficientData'],
  ) {}

  async preflight(options: JudgePreflightOptions = { alarmsAlreadyFiring: false }): Promise<void> {
    const snapshots = await readAlarmStates(this.alarmNames);
    const found = new Set(snapshots.map((s) => s.name));
    const missing = this.alarmNames.filter((name) => !found.has(name));
    if (missing.length > 0) {
      throw new PreflightFailed(
        `CloudWatch alarm(s) not found: ${missing.join(', ')}. Create them first, or fix the names in analysis.alarms ` +
          '(names are case-sensitive and regional).',
      );
    }
    const firing = snapshots.filter((s) => s.state === 'ALARM');
    if (firing.length > 0 && !options.alarmsAlreadyFiring) {
      throw new AlarmAlreadyFiring(
        `Refusing to start: alarm(s) already in ALARM before any traffic moved: ` +
          `${firing.map((a) => `${a.name} (${a.reason})`).join('; ')}. Fix the cause or wait for OK, then start again; to ship the fix itself, add ` +
          '"override": {"alarmsAlreadyFiring": true, "reason": "..."} to the request.',
      );
    }
  }

  async measure(context?: AnalysisContext): Promise<JudgeResult> {
    // With the override, an alarm still in the ALARM it was in at the start has not been OK since: no evidence yet.
    const firingSince = context?.request?.override?.alarmsAlreadyFiring === true ? context.startedAt : null;
    return assessAlarmStates(this.alarmNames, await readAlarmStates(this.alarmNames), this.insufficientData, firingSince);
  }
}

export const cloudWatchAlarmsKind: JudgeKind<CloudWatchAlarmJudge> = {
  appliesTo: asksForAlarms,
  create: (analysis) => new CloudWatchAlarmJudge(analysis.alarms, analysis.insufficientData),
};
