import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { pendingGate } from '../../shared/gates/pending';

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAfake-token-for-tests';

const scheduled = (id: number, token: string | null = TOKEN, resource = 'invoke.waitForTaskToken'): HistoryEvent => ({
  id,
  type: 'TaskScheduled',
  timestamp: new Date(1_000 * id),
  taskScheduledEventDetails: {
    resourceType: 'lambda',
    resource,
    region: 'us-east-1',
    parameters: JSON.stringify({ FunctionName: 'coalmine-announceGate', Payload: token === null ? {} : { taskToken: token } }),
  },
});
const event = (id: number, type: string): HistoryEvent => ({ id, type, timestamp: new Date(1_000 * id) } as HistoryEvent);

describe('pendingGate: the token of the gate an execution waits at, from its own history', () => {
  it('finds the token of a scheduled gate still open', () => {
    expect(pendingGate([event(1, 'TaskStateEntered'), scheduled(2), event(3, 'TaskStarted')])).toEqual({ taskToken: TOKEN, scheduledEventId: 2, scheduledAt: new Date(2_000) });
  });

  it.each([
    ['approved', 'TaskSucceeded'],
    ['rolled back by a person', 'TaskFailed'],
    ['timed out', 'TaskTimedOut'],
    ['left by its state', 'TaskStateExited'],
    ['the execution stopped (an alarm rollback)', 'ExecutionAborted'],
    ['the execution failed', 'ExecutionFailed'],
  ])('finds nothing once the gate is %s', (_case, type) => {
    expect(pendingGate([scheduled(2), event(3, 'TaskStarted'), event(4, type)])).toBeUndefined();
  });

  it('ignores Tasks that are not gates, and a gate without a token', () => {
    expect(pendingGate([scheduled(2, TOKEN, 'invoke')])).toBeUndefined();
    expect(pendingGate([scheduled(2, null)])).toBeUndefined();
  });

  it('finds the later of two gates', () => {
    const later = 'second-gate-token';
    expect(pendingGate([scheduled(2), event(3, 'TaskSucceeded'), event(4, 'TaskStateExited'), scheduled(9, later)])?.taskToken).toBe(later);
  });
});
