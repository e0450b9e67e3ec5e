import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATE_PAYLOAD_LIMIT_BYTES } from '../../shared/config/limits';
import type { CaughtError } from '../../shared/failure';
import { ExecutionObserver, type EventLog } from '../../sim/execution-observer';
import { parseScenario, SCENARIO_DIRECTORY } from '../../sim/scenario';
import { simulate, type SimulationEvent } from '../../sim/simulate';
import { SfnWorld } from '../../sim/world/sfn';

async function* eventsOf(...events: unknown[]): AsyncIterable<EventLog> {
  for (const event of events) yield event as EventLog;
}

/** An observer with nothing but the execution's event log: sizes are all this test looks at. */
function observer(failed: CaughtError[], emitted: SimulationEvent[]) {
  const unused = {} as never;
  // A machine without Tasks: no state of the log is a task or a gate.
  const machine = { taskFunctions: {}, gateFunctions: {} } as never;
  return new ExecutionObserver(machine, unused, unused, unused, (ms) => ms / 1000, (e) => emitted.push(e), unused, (f) => failed.push(f));
}

const stateOf = (bytes: number) => ({ rollout: { padding: 'x'.repeat(bytes - '{"rollout":{"padding":""}}'.length) } });

describe('the 256 KiB state limit, as Step Functions enforces it', () => {
  it('a state of exactly 256 KiB passes, and is the largest seen', async () => {
    const failed: CaughtError[] = [];
    const watcher = observer(failed, []);
    await watcher.consume(eventsOf({ type: 'StateEntered', timestamp: 0, state: { name: 'Bake', type: 'Wait', input: stateOf(STATE_PAYLOAD_LIMIT_BYTES) } }));
    expect(failed).toEqual([]);
    expect(watcher.maxStateBytes).toBe(STATE_PAYLOAD_LIMIT_BYTES);
  });

  it('one byte more fails the execution with States.DataLimitExceeded, and nothing after it is observed as progress', async () => {
    const failed: CaughtError[] = [];
    const emitted: SimulationEvent[] = [];
    const watcher = observer(failed, emitted);
    await watcher.consume(
      eventsOf(
        { type: 'StateExited', timestamp: 0, state: { name: 'AdvanceToNextStep', type: 'Pass', input: {}, output: stateOf(STATE_PAYLOAD_LIMIT_BYTES + 1) } },
        { type: 'ExecutionAborted', timestamp: 0 },
      ),
    );
    expect(failed).toEqual([{ Error: 'States.DataLimitExceeded', Cause: expect.stringMatching(/output of state AdvanceToNextStep is 262145 bytes.*262144/) }]);
    expect(watcher.failure?.Error).toBe('States.DataLimitExceeded');
    expect(emitted).toEqual([]);
  });

  it('a simulated rollout reports the largest state it passed as maxStateBytes', async () => {
    const document = JSON.parse(readFileSync(join(SCENARIO_DIRECTORY, 'healthy.json'), 'utf8'));
    const result = await simulate(parseScenario(document, 'healthy'));
    expect(result.maxStateBytes).toBeGreaterThan(JSON.stringify(document.rollout).length);
    expect(result.maxStateBytes).toBeLessThan(STATE_PAYLOAD_LIMIT_BYTES);
  });

  it('the in-memory Step Functions ends the execution FAILED with the terminal error, aborting its run, once', async () => {
    let aborts = 0;
    let end: () => void = () => undefined;
    const sfn = new SfnWorld().useRunner(
      () => ({
        abort: () => {
          aborts += 1;
          end();
        },
        result: new Promise((_, reject) => (end = () => reject(new Error('aborted')))),
        eventLogs: eventsOf(),
      }),
      {},
    );
    const record = sfn.start({}, 'too-big');
    sfn.fail('too-big', 'States.DataLimitExceeded', 'the output of state X is 262145 bytes');
    sfn.fail('too-big', 'States.DataLimitExceeded', 'again');
    await record.settled;
    expect(record).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: 'the output of state X is 262145 bytes' });
    expect(record.history.filter((e) => e.type === 'ExecutionFailed')).toHaveLength(1);
    expect(aborts).toBe(1);
  });
});
