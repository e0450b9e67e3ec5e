/**
 * The pure pieces behind the operator commands (Slack and the CLI): which running rollout a target names,
 * what the newest history events say about its progress, and the state names the commands rely on
 * (checked against the shipped state machine).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { parse } from 'yaml';
import type { RolloutStart } from '../../shared/executions/history';
import { ROLLING_BACK_STATES } from '../../shared/executions/states';
import { labelsOf, resolveTarget, type RunningRollout } from '../../shared/actions/rollouts';
import { progressOf } from '../../shared/executions/progress';
import { parseRolloutRequest } from '../../shared/config/request';
import { planRollout } from '../../shared/plan';
import type { Rollout } from '../../shared/rollout';

/** A planned rollout of checkout:live (or `functionName`), as Preflight leaves it. */
function rolloutFor(options: { name?: string; functionName?: string; executionName: string }): Rollout {
  const request = parseRolloutRequest({
    ...(options.name !== undefined ? { name: options.name } : {}),
    target: { type: 'lambda-alias', functionName: options.functionName ?? 'checkout', alias: 'live', version: '42' },
    strategy: { weights: [10, 50, 100], bakeSeconds: 300 },
    analysis: { alarms: ['checkout-errors'] },
  });
  const name = request.name ?? `${options.functionName ?? 'checkout'}:live`;
  return { name, request, plan: planRollout(request, { observable: true }), baseline: { version: '41' }, executionName: options.executionName, startedAt: '2026-11-22T10:00:00.000Z' };
}

function planned(executionName: string, options: { name?: string; functionName?: string } = {}): RunningRollout {
  return {
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:coalmine-dev-canary:${executionName}`,
    executionName,
    start: { stage: 'planned', rollout: rolloutFor({ ...options, executionName }) },
  };
}

function preflight(executionName: string, request: unknown): RunningRollout {
  return { executionArn: `arn:…:${executionName}`, executionName, start: { stage: 'preflight', request } };
}

describe('resolveTarget', () => {
  const checkout = planned('checkout-42-a', { name: 'checkout' });
  const search = planned('search-7-b', { name: 'search', functionName: 'search' });
  const unnamed = planned('payments-3-c', { functionName: 'arn:aws:lambda:us-east-1:123456789012:function:payments' });
  const early = preflight('billing-9-d', { name: 'billing', target: { type: 'lambda-alias', functionName: 'billing', alias: 'live', version: '9' } });
  const unreadable: RunningRollout = { executionArn: 'arn:…:mystery-1', executionName: 'mystery-1', start: { stage: 'unreadable', reason: 'truncated' } };
  const running = [checkout, search, unnamed, early, unreadable];

  test.each([
    { target: 'checkout', found: 'checkout-42-a', why: 'the rollout name' },
    { target: 'checkout:live', found: 'checkout-42-a', why: 'function:alias' },
    { target: 'search-7-b', found: 'search-7-b', why: 'the execution name' },
    { target: 'payments:live', found: 'payments-3-c', why: 'a function given by ARN, named by its short name' },
    { target: 'billing', found: 'billing-9-d', why: 'a rollout still in preflight, by its requested name' },
    { target: 'billing:live', found: 'billing-9-d', why: 'a rollout still in preflight, by its target' },
    { target: 'mystery-1', found: 'mystery-1', why: 'an unreadable history, by its execution name' },
  ])('$target finds $found ($why)', ({ target, found }) => {
    const match = resolveTarget(target, running);
    expect(match.kind).toBe('found');
    expect(match.kind === 'found' && match.rollout.executionName).toBe(found);
  });

  test.each([
    { target: 'Checkout', kind: 'unknown', why: 'names are case-sensitive' },
    { target: 'checkout:prod', kind: 'unknown', why: 'another alias' },
    { target: 'orders', kind: 'unknown', why: 'nothing of that name' },
  ])('$target: $kind ($why)', ({ target, kind }) => {
    expect(resolveTarget(target, running).kind).toBe(kind);
  });

  test('nothing running', () => {
    expect(resolveTarget('checkout', [])).toEqual({ kind: 'nothing-running' });
  });

  test('two rollouts of one name are ambiguous; their execution names still pick one', () => {
    const again = planned('checkout-43-e', { name: 'checkout' });
    expect(resolveTarget('checkout', [checkout, again])).toMatchObject({ kind: 'ambiguous', matches: [checkout, again] });
    expect(resolveTarget('checkout-43-e', [checkout, again])).toEqual({ kind: 'found', rollout: again });
  });

  test('an execution name wins over a rollout of that name', () => {
    const named = planned('x-1', { name: 'checkout-42-a' });
    expect(resolveTarget('checkout-42-a', [named, checkout])).toEqual({ kind: 'found', rollout: checkout });
  });

  test.each<[string, RolloutStart, ReturnType<typeof labelsOf>]>([
    ['a planned rollout without a name', planned('p-1').start, { name: 'checkout:live', target: 'checkout:live', aliases: [] }],
    ['a preflight request that is not an object', { stage: 'preflight', request: 'garbage' }, { aliases: [] }],
    ['a refused rollout', { stage: 'refused' }, { aliases: [] }],
  ])('labelsOf: %s', (_, start, labels) => {
    expect(labelsOf(start)).toEqual(labels);
  });
});

describe('progressOf (newest history events first)', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 10, 22, 10, 0, s));
  const state = (weight: number, stepIndex: number, analysis?: object) =>
    JSON.stringify({ rollout: { plan: { steps: [{}, {}, {}] } }, progress: { stepIndex, extraBakes: 0, weight, bakeSeconds: 300, shiftedAt: at(0).toISOString() }, ...(analysis ? { analysis } : {}) });
  const ev = (e: Partial<HistoryEvent>): HistoryEvent => ({ id: 1, timestamp: at(0), type: 'PassStateEntered', ...e }) as HistoryEvent;

  test('baking: the state entered, the step and weight carried, the last analysis', () => {
    const events = [
      ev({ type: 'WaitStateEntered', timestamp: at(50), stateEnteredEventDetails: { name: 'Bake' } }),
      ev({ type: 'ChoiceStateExited', stateExitedEventDetails: { name: 'IsTrafficObservable', output: state(25, 1, { verdict: 'pass', action: 'advance', reason: 'ok', analyzedAt: at(10).toISOString() }) } }),
    ];
    expect(progressOf(events)).toEqual({
      state: { name: 'Bake', enteredAt: at(50) },
      progress: { stepIndex: 1, extraBakes: 0, weight: 25, bakeSeconds: 300, shiftedAt: at(0).toISOString() },
      stepCount: 3,
      analysis: { verdict: 'pass', action: 'advance', reason: 'ok', analyzedAt: at(10).toISOString() },
    });
  });

  test('a truncated or unreadable newest output: the next older one is used', () => {
    const events = [
      ev({ type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'AnalyzeCanary' } }),
      ev({ type: 'WaitStateExited', stateExitedEventDetails: { name: 'Bake', output: '{"progress"', outputDetails: { truncated: true } } }),
      ev({ type: 'TaskStateExited', stateExitedEventDetails: { name: 'VerifyTraffic', output: 'not json' } }),
      ev({ type: 'TaskStateExited', stateExitedEventDetails: { name: 'ShiftTraffic', output: state(10, 0) } }),
    ];
    expect(progressOf(events)).toMatchObject({ state: { name: 'AnalyzeCanary' }, progress: { weight: 10, stepIndex: 0 } });
  });

  test('no events: nothing known', () => {
    expect(progressOf([])).toEqual({});
  });
});

describe('state names the Slack commands rely on exist in statemachines/canary.asl.yaml', () => {
  interface State {
    Next?: string;
    Default?: string;
    Catch?: Array<{ Next: string }>;
    Choices?: Array<{ Next: string }>;
  }
  const definition = parse(readFileSync(join(__dirname, '../../statemachines/canary.asl.yaml'), 'utf8')) as { States: Record<string, State> };

  function reachableFrom(start: string): Set<string> {
    const seen = new Set<string>();
    const queue = [start];
    while (queue.length > 0) {
      const name = queue.shift()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const s = definition.States[name]!;
      queue.push(...[s.Next, s.Default, ...(s.Catch ?? []).map((c) => c.Next), ...(s.Choices ?? []).map((c) => c.Next)].filter((n): n is string => n !== undefined));
    }
    return seen;
  }

  test('ROLLING_BACK_STATES are exactly the states on the way from a failed analysis, a timed-out gate, a failed hook or look, or a caught error to the end', () => {
    const starts = ['RecordAnalysisFailure', 'RecordApprovalTimeout', 'RecordHookFailure', 'RecordPostTrafficHookFailure', 'RecordBakeFailure', 'RollBack'];
    const rollingBack = new Set(starts.flatMap((start) => [...reachableFrom(start)]));
    expect([...rollingBack].sort()).toEqual([...ROLLING_BACK_STATES].sort());
  });
});
