/**
 * In-memory CloudWatch alarms: state, reason and the time of the last change. The simulator moves them
 * as its synthetic traffic crosses thresholds; tests set them directly.
 */
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

export class CloudWatchWorld {
  private readonly alarms = new Map<string, AlarmRecord>();
  readonly transitions: AlarmTransition[] = [];

  constructor(private readonly now: () => Date = () => new Date()) {}

  addAlarm(name: string, state: AlarmState = 'OK', reason = 'Threshold Crossed: initial state'): this {
    this.alarms.set(name, { state, reason, updatedAt: this.now() });
    return this;
  }

  /** Moves an alarm; a change of state is recorded as a transition (what EventBridge would announce). */
  setAlarmState(name: string, state: AlarmState, reason: string): AlarmTransition | null {
    const alarm = this.alarms.get(name);
    if (alarm === undefined) throw new Error(`No simulated alarm named ${name}`);
    const from = alarm.state;
    Object.assign(alarm, { state, reason, updatedAt: this.now() });
    if (from === state) return null;
    const transition = { name, from, to: state, reason, at: alarm.updatedAt };
    this.transitions.push(transition);
    return transition;
  }

  alarmState(name: string): AlarmState | undefined {
    return this.alarms.get(name)?.state;
  }

  readonly service: InMemoryService = {
    serviceName: 'cloudwatch',
    commands: {
      DescribeAlarms: (input) => {
        const names = (input.AlarmNames as string[] | undefined) ?? [...this.alarms.keys()];
        const MetricAlarms = names.flatMap((name) => {
          const alarm = this.alarms.get(name);
          return alarm === undefined
            ? []
            : [{ AlarmName: name, StateValue: alarm.state, StateReason: alarm.reason, StateUpdatedTimestamp: alarm.updatedAt }];
        });
        return { MetricAlarms, CompositeAlarms: [] };
      },
    },
  };
}
