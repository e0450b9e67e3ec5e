/**
 * In-memory CloudWatch: alarms with state, reason and the time of the last change, and a metric store.
 * Metric alarms defined here are evaluated against the store at each of their period ends, as CloudWatch
 * does (M of N datapoints breaching, with its treatments of missing data); tests and scenario events may
 * also set a state directly (SetAlarmState), which holds until the alarm's next evaluation. GetMetricData
 * reads the store (get-metric-data.ts).
 */
import { getMetricData } from './get-metric-data';
import { MetricStore, type MetricId, type Statistic } from './metrics';
import type { InMemoryService } from './sdk-bridge';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmRecord {
  state: AlarmState;
  reason: string;
  updatedAt: Date;
}

export interface AlarmTransition {
  readonly name: string;
  readonly from: AlarmState;
  readonly to: AlarmState;
  readonly reason: string;
  readonly at: Date;
}

export type ComparisonOperator =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

export type TreatMissingData = 'missing' | 'notBreaching' | 'breaching' | 'ignore';

export interface MetricStat {
  readonly metric: MetricId;
  readonly statistic: Statistic;
}

/** What an alarm watches: one statistic of a metric, or metric math `100 * m1 / m2` over two sums (an error rate). */
export type AlarmQuery =
  | { readonly kind: 'metric'; readonly stat: MetricStat }
  | { readonly kind: 'percent'; readonly numerator: MetricStat; readonly denominator: MetricStat };

export interface MetricAlarmDefinition {
  readonly name: string;
  readonly query: AlarmQuery;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  /** M of the N evaluation periods that must breach; N when not given. */
  readonly datapointsToAlarm?: number;
  readonly threshold: number;
  readonly comparison: ComparisonOperator;
  readonly treatMissingData: TreatMissingData;
}

const COMPARE: Record<ComparisonOperator, { test: (v: number, t: number) => boolean; words: string }> = {
  GreaterThanThreshold: { test: (v, t) => v > t, words: 'greater than' },
  GreaterThanOrEqualToThreshold: { test: (v, t) => v >= t, words: 'greater than or equal to' },
  LessThanThreshold: { test: (v, t) => v < t, words: 'less than' },
  LessThanOrEqualToThreshold: { test: (v, t) => v <= t, words: 'less than or equal to' },
};

const round = (value: number): number => Math.round(value * 1000) / 1000;

export class CloudWatchWorld {
  private readonly alarms = new Map<string, AlarmRecord>();
  private readonly definitions = new Map<string, MetricAlarmDefinition>();
  /** Alarms whose state a SetAlarmState pinned until a time (a scenario's forced state). */
  private readonly heldUntil = new Map<string, number>();
  private readonly lastEvaluated = new Map<string, number>();
  private readonly transitionListeners: Array<(transition: AlarmTransition) => void> = [];
  readonly transitions: AlarmTransition[] = [];
  readonly metrics = new MetricStore();

  constructor(private readonly now: () => Date = () => new Date()) {}

  addAlarm(name: string, state: AlarmState = 'OK', reason = 'Threshold Crossed: initial state'): this {
    this.alarms.set(name, { state, reason, updatedAt: this.now() });
    return this;
  }

  /** A metric alarm that moves by itself as datapoints arrive in `metrics`. */
  defineMetricAlarm(definition: MetricAlarmDefinition, state: AlarmState = 'OK'): this {
    this.definitions.set(definition.name, definition);
    return this.addAlarm(definition.name, state, state === 'INSUFFICIENT_DATA' ? 'Unchecked: Initial alarm creation' : 'Initial state');
  }

  /** Moves an alarm; a change of state is recorded as a transition (what EventBridge would announce). */
  setAlarmState(name: string, state: AlarmState, reason: string, at: Date = this.now()): AlarmTransition | null {
    const alarm = this.alarms.get(name);
    if (alarm === undefined) throw new Error(`No simulated alarm named ${name}`);
    const from = alarm.state;
    Object.assign(alarm, { state, reason, updatedAt: at });
    if (from === state) return null;
    const transition = { name, from, to: state, reason, at: alarm.updatedAt };
    this.transitions.push(transition);
    for (const listener of this.transitionListeners) listener(transition);
    return transition;
  }

  /** Pins an alarm's state until `untilMs`: evaluations before then leave it alone. */
  holdAlarmState(name: string, state: AlarmState, reason: string, untilMs: number): void {
    this.setAlarmState(name, state, reason);
    this.heldUntil.set(name, untilMs);
  }

  /**
   * DescribeAlarmHistory's state updates, as CloudWatch words them: HistoryData is JSON with the old and
   * new state. One page (the simulated history is short); other item types are never recorded.
   */
  private alarmHistory(input: Record<string, unknown>): Array<Record<string, unknown>> {
    if (input.HistoryItemType !== undefined && input.HistoryItemType !== 'StateUpdate') return [];
    const from = input.StartDate === undefined ? -Infinity : new Date(input.StartDate as Date).getTime();
    const to = input.EndDate === undefined ? Infinity : new Date(input.EndDate as Date).getTime();
    const items = this.transitions
      .filter((t) => (input.AlarmName === undefined || t.name === input.AlarmName) && t.at.getTime() >= from && t.at.getTime() <= to)
      .map((t) => ({
        AlarmName: t.name,
        AlarmType: 'MetricAlarm',
        Timestamp: t.at,
        HistoryItemType: 'StateUpdate',
        HistorySummary: `Alarm updated from ${t.from} to ${t.to}`,
        HistoryData: JSON.stringify({ version: '1.0', oldState: { stateValue: t.from }, newState: { stateValue: t.to, stateReason: t.reason } }),
      }));
    return input.ScanBy === 'TimestampAscending' ? items : items.reverse();
  }

  alarmState(name: string): AlarmState | undefined {
    return this.alarms.get(name)?.state;
  }

  alarmNames(): string[] {
    return [...this.alarms.keys()];
  }

  onTransition(listener: (transition: AlarmTransition) => void): () => void {
    this.transitionListeners.push(listener);
    return () => {
      const i = this.transitionListeners.indexOf(listener);
      if (i >= 0) this.transitionListeners.splice(i, 1);
    };
  }

  /** Evaluates every metric alarm whose period ends at `atMs` (epoch-aligned periods), once per period end. */
  evaluateAlarms(atMs: number): void {
    for (const definition of this.definitions.values()) {
      const periodMs = definition.periodSeconds * 1000;
      if (atMs % periodMs !== 0 || this.lastEvaluated.get(definition.name) === atMs) continue;
      this.lastEvaluated.set(definition.name, atMs);
      if ((this.heldUntil.get(definition.name) ?? -Infinity) > atMs) continue;
      const next = this.evaluate(definition, atMs);
      if (next !== null && next.state !== this.alarmState(definition.name)) {
        this.setAlarmState(definition.name, next.state, next.reason, new Date(atMs));
      }
    }
  }

  /** Period ends at which some alarm evaluates, strictly after `afterMs` and at or before `untilMs`. */
  evaluationTimes(afterMs: number, untilMs: number): number[] {
    const times = new Set<number>();
    for (const { periodSeconds } of this.definitions.values()) {
      const periodMs = periodSeconds * 1000;
      for (let t = Math.floor(afterMs / periodMs) * periodMs + periodMs; t <= untilMs; t += periodMs) times.add(t);
    }
    return [...times].sort((a, b) => a - b);
  }

  private datapoint(query: AlarmQuery, startMs: number, endMs: number): number | undefined {
    const read = (stat: MetricStat): number | undefined => this.metrics.statistic(stat.metric, stat.statistic, startMs, endMs);
    if (query.kind === 'metric') return read(query.stat);
    const denominator = read(query.denominator);
    if (denominator === undefined || denominator === 0) return undefined;
    return (100 * (read(query.numerator) ?? 0)) / denominator;
  }

  private evaluate(definition: MetricAlarmDefinition, atMs: number): { state: AlarmState; reason: string } | null {
    const periodMs = definition.periodSeconds * 1000;
    const n = definition.evaluationPeriods;
    const values: Array<number | undefined> = [];
    for (let k = n; k >= 1; k -= 1) values.push(this.datapoint(definition.query, atMs - k * periodMs, atMs - (k - 1) * periodMs));
    const compare = COMPARE[definition.comparison];
    const present = values.filter((v): v is number => v !== undefined);
    if (present.length === 0) {
      if (definition.treatMissingData === 'missing') {
        return { state: 'INSUFFICIENT_DATA', reason: `Insufficient Data: ${n} datapoint${n > 1 ? 's were' : ' was'} unknown.` };
      }
      if (definition.treatMissingData === 'ignore') return null;
    }
    const breaches = (v: number | undefined): boolean =>
      v === undefined ? definition.treatMissingData === 'breaching' : compare.test(v, definition.threshold);
    const judged = definition.treatMissingData === 'missing' || definition.treatMissingData === 'ignore' ? present : values;
    const breaching = judged.filter(breaches).length;
    // Fewer datapoints than M never alarm: a canary with one bad minute is not yet an incident.
    const needed = definition.datapointsToAlarm ?? n;
    const shown = `[${values.map((v) => (v === undefined ? 'missing' : round(v))).join(', ')}]`;
    if (breaching >= needed) {
      return {
        state: 'ALARM',
        reason: `Threshold Crossed: ${breaching} of the last ${n} datapoints ${shown} ${breaching > 1 ? 'were' : 'was'} ${compare.words} the threshold (${definition.threshold}).`,
      };
    }
    return {
      state: 'OK',
      reason: `Threshold Crossed: ${breaching} of the last ${n} datapoints ${shown} ${breaching === 1 ? 'was' : 'were'} ${compare.words} the threshold (${definition.threshold}); ${needed} needed to alarm.`,
    };
  }

  private describeAlarm(name: string, alarm: AlarmRecord): Record<string, unknown> {
    const base = { AlarmName: name, StateValue: alarm.state, StateReason: alarm.reason, StateUpdatedTimestamp: alarm.updatedAt };
    const definition = this.definitions.get(name);
    if (definition === undefined) return base;
    const common = {
      ...base,
      Period: definition.periodSeconds,
      EvaluationPeriods: definition.evaluationPeriods,
      DatapointsToAlarm: definition.datapointsToAlarm ?? definition.evaluationPeriods,
      Threshold: definition.threshold,
      ComparisonOperator: definition.comparison,
      TreatMissingData: definition.treatMissingData,
    };
    const metricStat = (stat: MetricStat) => ({
      Metric: {
        Namespace: stat.metric.namespace,
        MetricName: stat.metric.metricName,
        Dimensions: Object.entries(stat.metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: definition.periodSeconds,
      Stat: stat.statistic,
    });
    const { query } = definition;
    if (query.kind === 'percent') {
      return {
        ...common,
        Metrics: [
          { Id: 'rate', Expression: '100 * m1 / m2', ReturnData: true },
          { Id: 'm1', MetricStat: metricStat(query.numerator), ReturnData: false },
          { Id: 'm2', MetricStat: metricStat(query.denominator), ReturnData: false },
        ],
      };
    }
    const percentile = query.stat.statistic.startsWith('p');
    return {
      ...common,
      Namespace: query.stat.metric.namespace,
      MetricName: query.stat.metric.metricName,
      Dimensions: Object.entries(query.stat.metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
      ...(percentile ? { ExtendedStatistic: query.stat.statistic } : { Statistic: query.stat.statistic }),
    };
  }

  readonly service: InMemoryService = {
    serviceName: 'cloudwatch',
    commands: {
      DescribeAlarms: (input) => {
        const names = (input.AlarmNames as string[] | undefined) ?? [...this.alarms.keys()];
        const MetricAlarms = names.flatMap((name) => {
          const alarm = this.alarms.get(name);
          return alarm === undefined ? [] : [this.describeAlarm(name, alarm)];
        });
        return { MetricAlarms, CompositeAlarms: [] };
      },
      SetAlarmState: (input) => {
        const name = String(input.AlarmName);
        if (!this.alarms.has(name)) {
          throw Object.assign(new Error(`Alarm ${name} not found`), { name: 'ResourceNotFound', $fault: 'client' });
        }
        this.setAlarmState(name, input.StateValue as AlarmState, String(input.StateReason ?? ''));
        return {};
      },
      GetMetricData: (input) => getMetricData(this.metrics, input),
      DescribeAlarmHistory: (input) => ({ AlarmHistoryItems: this.alarmHistory(input) }),
    },
  };
}
