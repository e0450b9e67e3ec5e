/**
 * A Step Functions history of statemachines/canary.asl.yaml, built state by state, as GetExecutionHistory
 * returns it (oldest first): for the tests of the history readers and of the handlers that act on them.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { RolloutState } from '../shared/rollout';

const LAMBDA = (fn: string) => `arn:aws:lambda:us-east-1:123456789012:function:coalmine-dev-${fn}`;

export class History {
  readonly events: HistoryEvent[] = [];
  /** Events 100 ms apart from `start` on. */
  constructor(private at = Date.parse('2025-03-04T10:15:00.000Z')) {}

  private add(type: string, details: Partial<HistoryEvent> = {}): this {
    this.at += 100;
    this.events.push({ id: this.events.length + 1, previousEventId: this.events.length, timestamp: new Date(this.at), type, ...details } as HistoryEvent);
    return this;
  }

  started(input: unknown): this {
    return this.add('ExecutionStarted', { executionStartedEventDetails: { input: JSON.stringify(input), roleArn: 'arn:aws:iam::123456789012:role/sfn' } });
  }

  enter(name: string, type = 'Task', input: unknown = {}): this {
    return this.add(`${type}StateEntered`, { stateEnteredEventDetails: { name, input: JSON.stringify(input) } });
  }

  /** A Lambda task's invocation scheduled and started, not yet ended. */
  invoke(fn: string, timeoutInSeconds = 60): this {
    return this.add('LambdaFunctionScheduled', { lambdaFunctionScheduledEventDetails: { resource: LAMBDA(fn), input: '{}', timeoutInSeconds } }).add(
      'LambdaFunctionStarted',
    );
  }

  lambdaTask(name: string, fn: string, output: unknown): this {
    return this.enter(name)
      .invoke(fn)
      .add('LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: { output: JSON.stringify(output) } })
      .add('TaskStateExited', { stateExitedEventDetails: { name, output: JSON.stringify(output) } });
  }

  pass(name: string, type: string): this {
    return this.enter(name, type).add(`${type}StateExited`, { stateExitedEventDetails: { name, output: '{}' } });
  }

  /** Planned, announced, shifted to step 0 and verified, baking. */
  bakingAfter(state: RolloutState): this {
    return this.started(state.rollout.request)
      .lambdaTask('Preflight', 'preflight', state)
      .pass('AnnounceRolloutStarted', 'Task')
      .pass('AnyCanarySteps', 'Choice')
      .lambdaTask('ShiftTraffic', 'shiftTraffic', { stepIndex: 0, weight: 10 })
      .lambdaTask('VerifyTraffic', 'verifyTraffic', { status: 'verified' })
      .pass('IsTrafficObservable', 'Choice')
      .enter('Bake', 'Wait');
  }

  get lastAt(): number {
    return this.at;
  }
}
