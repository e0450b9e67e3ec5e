/**
 * Structural rules of statemachines/canary.asl.yaml that keep every rollout safe: every Task bounded
 * in time, retried on transient errors with backoff and jitter, and caught into a rollback; every error
 * name it matches is one the code throws.
 */
import aslValidator from 'asl-validator';
import { PERMANENT_ERROR_NAMES, TRANSIENT_ERROR_NAMES } from '../../shared/errors';
import { AWAITING_APPROVAL, LIFECYCLE_DETAIL_TYPES } from '../../shared/lifecycle';
import { readDefinition, TASK_FUNCTIONS, functionKeyOf } from '../../sim/local-execution';

type Retrier = { ErrorEquals: string[]; IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number; MaxDelaySeconds?: number; JitterStrategy?: string };
type Catcher = { ErrorEquals: string[]; Next: string; ResultPath?: string };
type State = {
  Type: string;
  Next?: string;
  Default?: string;
  End?: boolean;
  Choices?: Array<{ Next: string }>;
  Catch?: Catcher[];
  Retry?: Retrier[];
  TimeoutSeconds?: number;
  QueryLanguage?: string;
  [key: string]: unknown;
};

const definition = readDefinition() as unknown as { StartAt: string; States: Record<string, State>; QueryLanguage?: string };
const states = Object.entries(definition.States);
const tasks = states.filter(([, state]) => state.Type === 'Task');
const PUT_EVENTS = 'arn:aws:states:::events:putEvents';
const WAIT_FOR_TASK_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
const gates = tasks.filter(([, state]) => state.Resource === WAIT_FOR_TASK_TOKEN);
const lambdaTasks = tasks.filter(([, state]) => state.Resource !== PUT_EVENTS && state.Resource !== WAIT_FOR_TASK_TOKEN);
const announcements = tasks.filter(([, state]) => state.Resource === PUT_EVENTS);

/** Error name prefixes that AWS itself raises (not thrown by our code). */
const AWS_ERROR_PREFIXES = ['States.', 'Lambda.', 'Sandbox.'];

describe('statemachines/canary.asl.yaml', () => {
  it('is valid Amazon States Language', () => {
    const result = aslValidator(definition);
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('is JSONPath throughout: the local emulator silently ignores JSONata', () => {
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    for (const [, state] of states) expect(state.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
  });

  it('tells the story with verbs in the console graph', () => {
    expect(Object.keys(definition.States)).toEqual(
      expect.arrayContaining(['Preflight', 'ShiftTraffic', 'VerifyTraffic', 'Bake', 'AnalyzeCanary', 'Promote', 'RollBack']),
    );
  });

  it.each(tasks)('Task %s has a timeout and a retry with backoff and jitter', (_name, state) => {
    // A gate waits for a person: its timeout is the request's (at most 7 days, the schema's bound), below.
    if (state.Resource !== WAIT_FOR_TASK_TOKEN) {
      expect(state.TimeoutSeconds).toBeGreaterThan(0);
      expect(state.TimeoutSeconds).toBeLessThanOrEqual(300);
    }
    expect(state.Retry?.length).toBeGreaterThan(0);
    for (const retrier of state.Retry ?? []) {
      // RollBack's retries are a floor of time (below), which jitter would shorten.
      expect(retrier).toMatchObject({ JitterStrategy: _name === 'RollBack' ? 'NONE' : 'FULL' });
      expect(retrier.BackoffRate).toBeGreaterThanOrEqual(1);
      expect(retrier.MaxAttempts).toBeGreaterThan(0);
      expect(retrier.MaxDelaySeconds).toBeGreaterThan(0);
      expect(retrier.ErrorEquals).not.toContain('States.ALL');
    }
  });

  it('RollBack retries throttling and AWS faults for at least 15 minutes before RollbackFailed', () => {
    const rollBack = definition.States.RollBack as State;
    const retrier = rollBack.Retry!.find((r) => r.ErrorEquals.includes('AwsThrottled'))!;
    expect(retrier.ErrorEquals).toEqual(expect.arrayContaining(['AwsThrottled', 'AwsUnavailable', 'Lambda.TooManyRequestsException', 'States.Timeout']));
    let waited = 0;
    for (let retry = 0; retry < retrier.MaxAttempts!; retry += 1) waited += Math.min(retrier.IntervalSeconds! * retrier.BackoffRate! ** retry, retrier.MaxDelaySeconds!);
    expect(waited).toBeGreaterThanOrEqual(15 * 60);
  });

  it.each(lambdaTasks)('Lambda Task %s calls a known function and catches States.ALL into the safe path', (name, state) => {
    expect(Object.keys(TASK_FUNCTIONS)).toContain(functionKeyOf(state as never));
    const catchAll = state.Catch?.find((c) => c.ErrorEquals.includes('States.ALL'));
    // A Task that moves traffic must roll back; Preflight moved nothing and refuses; RollBack fails loudly.
    const expectedNext: Record<string, string> = { Preflight: 'AnnounceRolloutRefused', RollBack: 'AnnounceRollbackFailed' };
    expect(catchAll?.Next).toBe(expectedNext[name] ?? 'RollBack');
  });

  it.each(gates)('gate %s times out as the request says, announces through a known function, never retries its own timeout, and rolls back on anything else', (_name, state) => {
    expect(state).toMatchObject({ TimeoutSecondsPath: '$.analysis.gate.timeoutSeconds', ResultPath: '$.approval' });
    expect(state.TimeoutSeconds).toBeUndefined();
    const parameters = state.Parameters as { FunctionName: unknown; Payload: Record<string, unknown> };
    expect(Object.keys(TASK_FUNCTIONS)).toContain(functionKeyOf({ Resource: parameters.FunctionName } as never));
    // Step Functions requires the token in the Parameters; it goes to the announcing function and nowhere else.
    expect(parameters.Payload['taskToken.$']).toBe('$$.Task.Token');
    const everywhere = JSON.stringify(definition.States).split('$$.Task.Token').length - 1;
    expect(everywhere).toBe(1);
    for (const retrier of state.Retry ?? []) expect(retrier.ErrorEquals).not.toContain('States.Timeout');
    expect(state.Catch?.map((c) => [c.ErrorEquals, c.Next])).toEqual([
      [['States.Timeout'], 'OnApprovalTimeout'],
      [['States.ALL'], 'RollBack'],
    ]);
  });

  it.each(announcements)('announcement %s never changes the rollout’s path or state, even when it fails', (_name, state) => {
    const catchAll = state.Catch?.find((c) => c.ErrorEquals.includes('States.ALL'));
    expect(catchAll).toEqual({ ErrorEquals: ['States.ALL'], ResultPath: null, Next: state.Next });
    expect(state.ResultPath).toBeNull();
    const entries = (state.Parameters as { Entries: Array<Record<string, unknown>> }).Entries;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ Source: 'coalmine', EventBusName: '${self:custom.eventBusName}' });
    expect(LIFECYCLE_DETAIL_TYPES).toContain(entries[0]?.DetailType);
  });

  it('announces every lifecycle event the docs list (the gate’s wait through its function, which drops the token)', () => {
    const announced = announcements.map(([, s]) => (s.Parameters as { Entries: Array<{ DetailType: string }> }).Entries[0]?.DetailType);
    expect(new Set([...announced, AWAITING_APPROVAL])).toEqual(new Set(LIFECYCLE_DETAIL_TYPES));
  });

  it('matches only error names the code exports, and retries only transient ones', () => {
    const ours = (names: string[]) => names.filter((n) => !AWS_ERROR_PREFIXES.some((p) => n.startsWith(p)));
    const retried = lambdaTasks.flatMap(([, s]) => (s.Retry ?? []).flatMap((r) => ours(r.ErrorEquals)));
    const caught = tasks.flatMap(([, s]) => (s.Catch ?? []).flatMap((c) => ours(c.ErrorEquals)));
    // Names the definition itself raises: Fail states, and Pass states that record a failure.
    const failNames = states.flatMap(([, s]) => {
      const error = s.Type === 'Fail' ? s.Error : (s.Parameters as { Error?: unknown } | undefined)?.Error;
      return typeof error === 'string' ? [error] : [];
    });
    expect(failNames).toEqual(expect.arrayContaining(['RollbackFailed', 'CanaryAnalysisFailed']));

    expect(retried.length).toBeGreaterThan(0);
    for (const name of retried) expect(TRANSIENT_ERROR_NAMES).toContain(name);
    for (const name of [...caught, ...failNames]) expect([...TRANSIENT_ERROR_NAMES, ...PERMANENT_ERROR_NAMES]).toContain(name);
    // Every transient error the code throws is retried somewhere.
    for (const name of TRANSIENT_ERROR_NAMES) expect(retried).toContain(name);
  });

  it('has no dead ends: every state is reachable and every path ends in Succeed or Fail', () => {
    const successors = (state: State): string[] => [
      ...(state.Next ? [state.Next] : []),
      ...(state.Default ? [state.Default] : []),
      ...(state.Choices ?? []).map((c) => c.Next),
      ...(state.Catch ?? []).map((c) => c.Next),
    ];
    const seen = new Set<string>();
    const queue = [definition.StartAt];
    while (queue.length > 0) {
      const name = queue.shift() as string;
      if (seen.has(name)) continue;
      seen.add(name);
      const state = definition.States[name];
      expect(state).toBeDefined();
      const next = successors(state as State);
      if (next.length === 0) expect(['Succeed', 'Fail']).toContain(state?.Type);
      queue.push(...next);
    }
    expect([...seen].sort()).toEqual(Object.keys(definition.States).sort());
  });
});
