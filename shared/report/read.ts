/**
 * Reads what a report needs of one execution from AWS: its whole history, the per-minute series of its
 * checks (GetMetricData), and the state changes of the alarms it watched (DescribeAlarmHistory). The same
 * reader serves `coalmine report` on AWS and `coalmine simulate --report` on the simulated world.
 */
import { paginateDescribeAlarmHistory } from '@aws-sdk/client-cloudwatch';
import { readTargetNow, weightOf, type WeightReading } from '../actions/status';
import { cloudWatchClient } from '../aws/cloudwatch';
import { awsCall } from '../errors';
import { rolloutStartOf } from '../executions/history';
import { readWholeHistory } from '../executions/sfn';
import { readMetricData } from '../judges/metrics/reader';
import { chartQueries, chartsFrom, type Chart } from './series';
import { timelineOf, type Timeline } from './timeline';

export interface AlarmChange {
  readonly name: string;
  readonly atMs: number;
  readonly from: string;
  readonly to: string;
}

export interface ReportData {
  readonly timeline: Timeline;
  readonly charts: readonly Chart[];
  readonly notCharted: readonly string[];
  readonly alarms: readonly AlarmChange[];
  /** The canary's share the target reads as the report is made (after the end, whoever set it); undefined before a plan. */
  readonly targetNow?: WeightReading;
  /** The window charted: from before the first shift to after the end. */
  readonly fromMs: number;
  readonly toMs: number;
}

/** Charts start this long before the rollout, so the baseline's level before the first shift shows. */
const LEAD_MS = 10 * 60_000;
const TRAIL_MS = 5 * 60_000;

function stateChange(item: { AlarmName?: string; Timestamp?: Date; HistoryData?: string }): AlarmChange | undefined {
  try {
    const data = JSON.parse(item.HistoryData ?? '') as { oldState?: { stateValue?: string }; newState?: { stateValue?: string } };
    const from = data.oldState?.stateValue;
    const to = data.newState?.stateValue;
    if (item.AlarmName === undefined || item.Timestamp === undefined || from === undefined || to === undefined) return undefined;
    return { name: item.AlarmName, atMs: new Date(item.Timestamp).getTime(), from, to };
  } catch {
    return undefined;
  }
}

async function alarmChanges(alarms: readonly string[], fromMs: number, toMs: number): Promise<AlarmChange[]> {
  const changes: AlarmChange[] = [];
  for (const alarmName of alarms) {
    await awsCall('DescribeAlarmHistory', async () => {
      const input = { AlarmName: alarmName, HistoryItemType: 'StateUpdate' as const, StartDate: new Date(fromMs), EndDate: new Date(toMs), ScanBy: 'TimestampAscending' as const };
      for await (const page of paginateDescribeAlarmHistory({ client: cloudWatchClient(), pageSize: 100 }, input)) {
        for (const item of page.AlarmHistoryItems ?? []) {
          const change = stateChange(item);
          if (change !== undefined) changes.push(change);
        }
      }
    });
  }
  return changes.sort((a, b) => a.atMs - b.atMs);
}

/** Everything a report of `executionArn` shows; `nowMs` ends the window of a rollout still running. */
export async function readReportData(executionArn: string, executionName: string, nowMs: number = Date.now()): Promise<ReportData> {
  const events = await readWholeHistory(executionArn);
  // The target as it reads now (a read only): it settles a person's promote, and the summary shows it.
  const targetNow = await readTargetNow(rolloutStartOf(events));
  const timeline = timelineOf(executionName, events, weightOf(targetNow));
  const fromMs = timeline.startedAtMs - LEAD_MS;
  const toMs = (timeline.end.status === 'RUNNING' ? nowMs : timeline.end.atMs) + TRAIL_MS;
  if (timeline.rollout === null) return { timeline, charts: [], notCharted: [], alarms: [], fromMs, toMs };
  const { charts, queries, notCharted } = chartQueries(timeline.rollout);
  const series = await readMetricData(queries, fromMs, toMs);
  const alarms = await alarmChanges(timeline.rollout.request.analysis.alarms, fromMs, toMs);
  const rolloutWindow = { fromMs: timeline.startedAtMs, toMs: toMs - TRAIL_MS };
  return { timeline, charts: chartsFrom(charts, series, rolloutWindow), notCharted, alarms, ...(targetNow !== undefined ? { targetNow } : {}), fromMs, toMs };
}
