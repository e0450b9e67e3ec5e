/**
 * The history readers (shared/executions/history.ts): which rollout an execution drives, from its first
 * events, and which Lambda invocations are still open (the fence the alarm rollback waits out). Pure.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { parseRolloutRequest } from '../../shared/config/request';
import { openInvocations, rolloutStartOf } from '../../shared/executions/history';
import { TRAFFIC_MOVING_STATES } from '../../shared/executions/states';
import { planRollout } from '../../shared/plan';
import type { RolloutState } from '../../shared/rollout';
import { History } from '../history-builder';

const openTrafficInvocations = (events: readonly HistoryEvent[]) => openInvocations(events, TRAFFIC_MOVING_STATES);

const request = parseRolloutRequest({
  name: 'checkout',
  target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
  strategy: { preset: 'canary10-5m' },
  analysis: { alarms: ['checkout-errors'] },
});
/** Preflight's output for the request. */
const state: RolloutState = {
  rollout: { name: 'checkout', request, plan: planRollout(request, { observable: true }), baseline: { version: '41' }, executionName: 'checkout-42', startedAt: '2025-03-04T10:15:00.000Z' },
  progress: { stepIndex: 0, extraBakes: 0, extraSeconds: 0, weight: 0, bakeSeconds: 300, lookSeconds: 60, shiftedAt: null, shifts: [] },
  analysis: { memory: {} },
};

describe('reading histories', () => {
  it('the rollout comes from the Preflight output; before it, the raw input; a refusal has none', () => {
    expect(rolloutStartOf(new History().bakingAfter(state).events)).toMatchObject({ stage: 'planned', rollout: { name: 'checkout', baseline: { version: '41' } } });
    expect(rolloutStartOf(new History().started({ analysis: { alarms: ['x'] } }).enter('Preflight').invoke('preflight').events)).toEqual({
      stage: 'preflight',
      request: { analysis: { alarms: ['x'] } },
    });
    expect(rolloutStartOf(new History().started({}).lambdaTask('Preflight', 'preflight', { failure: { Error: 'PreflightFailed' } }).events)).toEqual({ stage: 'refused' });
    const truncated = new History().started({}).events.map((e) => ({ ...e, executionStartedEventDetails: { inputDetails: { truncated: true } } }));
    expect(rolloutStartOf(truncated)).toMatchObject({ stage: 'unreadable' });
  });

  it.each<[string, (h: History) => HistoryEvent[], string]>([
    ['the Preflight output truncated', (h) => h.started({}).lambdaTask('Preflight', 'preflight', state).events.map((e) => (e.type === 'TaskStateExited' ? { ...e, stateExitedEventDetails: { name: 'Preflight', outputDetails: { truncated: true } } } : e)), 'the Preflight output in the history is truncated'],
    ['the Preflight output not recorded', (h) => h.started({}).lambdaTask('Preflight', 'preflight', state).events.map((e) => (e.type === 'TaskStateExited' ? { ...e, stateExitedEventDetails: { name: 'Preflight' } } : e)), 'the history does not record the Preflight output (execution data off?)'],
    ['no ExecutionStarted event', (h) => h.enter('Preflight').events, 'the history has no ExecutionStarted event'],
  ])('unreadable, and says why: %s', (_label, build, reason) => {
    expect(rolloutStartOf(build(new History()))).toEqual({ stage: 'unreadable', reason });
  });

  it.each<[string, unknown, string]>([
    ['a rollout without a name', { ...state.rollout, name: 7 }, 'the Preflight output is not a rollout: rollout.name is not a string'],
    ['a baseline holding an object', { ...state.rollout, baseline: { version: { v: 41 } } }, 'the Preflight output is not a rollout: rollout.baseline is not a record of strings, numbers and booleans'],
    ['an unknown target type', { ...state.rollout, request: { ...request, target: { type: 'ecs-service' } } }, 'the planned request no longer parses: target.type "ecs-service" is not one of lambda-alias, cloudfront-kvs'],
    ['a target without its alias', { ...state.rollout, request: { ...request, target: { type: 'lambda-alias', functionName: 'checkout', version: '42' } } }, 'the planned request no longer parses: target.alias of a lambda-alias target is not a string'],
    ['alarms that are not names', { ...state.rollout, request: { ...request, analysis: { ...request.analysis, alarms: [1] } } }, 'the planned request no longer parses: analysis.alarms is not a list of alarm names'],
    ['post-promotion alarms that are not a list', { ...state.rollout, request: { ...request, postPromotion: { analysis: { alarms: 'x' } } } }, 'the planned request no longer parses: postPromotion.analysis.alarms is not a list of alarm names'],
  ])('unreadable when the planned rollout cannot be read back: %s', (_label, rollout, reason) => {
    expect(rolloutStartOf(new History().started({}).lambdaTask('Preflight', 'preflight', { ...state, rollout }).events)).toEqual({ stage: 'unreadable', reason });
  });

  it.each([
    ['a finished shift', new History().lambdaTask('ShiftTraffic', 'shiftTraffic', {}), []],
    ['a shift in flight', new History().enter('ShiftTraffic').invoke('shiftTraffic', 60), ['ShiftTraffic']],
    ['a promotion in flight', new History().enter('Promote').invoke('promote', 45), ['Promote']],
    ['an analysis in flight (moves no traffic)', new History().enter('AnalyzeCanary').invoke('analyzeCanary', 120), []],
  ])('open traffic-moving invocations: %s', (_label, history, states) => {
    expect(openTrafficInvocations(history.events).map((i) => i.state)).toEqual(states);
  });

  it('the fence also waits out a Preflight in flight (it may take a cloudfront-kvs lock after the stop)', () => {
    const history = new History().started({}).enter('Preflight').invoke('preflight', 60);

    expect(openInvocations(history.events)).toEqual([{ state: 'Preflight', scheduledAt: expect.any(Date), timeoutSeconds: 60 }]);
    expect(openTrafficInvocations(history.events)).toEqual([]);
  });

  it('a retried shift is open again after its failed attempt', () => {
    const history = new History().enter('ShiftTraffic').invoke('shiftTraffic', 60);
    history.events.push({ id: 90, timestamp: new Date(), type: 'LambdaFunctionFailed', lambdaFunctionFailedEventDetails: { error: 'TrafficWriteConflict' } } as HistoryEvent);
    expect(openTrafficInvocations(history.events)).toEqual([]);

    history.invoke('shiftTraffic', 60);

    expect(openTrafficInvocations(history.events)).toEqual([{ state: 'ShiftTraffic', scheduledAt: expect.any(Date), timeoutSeconds: 60 }]);
  });
});
