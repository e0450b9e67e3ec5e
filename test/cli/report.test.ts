/**
 * `coalmine report` against AWS, with the SDK clients mocked (exact inputs): the history is the one a real
 * simulated execution wrote (the real state machine and handlers), so the report reads what Step Functions
 * records; the metric and alarm answers are CloudWatch's shapes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, DescribeAlarmHistoryCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetExecutionHistoryCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { readWholeHistory } from '../../shared/executions/sfn';
import { builtInScenario } from '../../sim/scenario';
import { simulate } from '../../sim/simulate';
import { coalmine } from './support';

const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:coalmine-dev-canary';
const EXECUTION = 'checkout-live-42-a1b2c3';
const EXECUTION_ARN = `arn:aws:states:us-east-1:123456789012:execution:coalmine-dev-canary:${EXECUTION}`;

let events: HistoryEvent[];
let startedAtMs: number;
let endedAtMs: number;
let sfn: AwsClientStub<SFNClient>;
let cloudwatch: AwsClientStub<CloudWatchClient>;
let lambda: AwsClientStub<LambdaClient>;
let dir: string;

beforeAll(async () => {
  // A real execution's history first, before any client is mocked: the simulator's clients are real SDK clients.
  await simulate(builtInScenario('stats-canary'), {
    afterRun: async ({ executionArn }) => {
      events = await readWholeHistory(executionArn);
    },
  });
  startedAtMs = new Date(events[0]!.timestamp!).getTime();
  endedAtMs = new Date(events[events.length - 1]!.timestamp!).getTime();
  sfn = mockClient(SFNClient);
  cloudwatch = mockClient(CloudWatchClient);
  lambda = mockClient(LambdaClient);
  dir = mkdtempSync(join(tmpdir(), 'coalmine-report-cli-'));
  process.env.COALMINE_STATE_MACHINE_ARN = STATE_MACHINE_ARN;
}, 60_000);

afterAll(() => {
  sfn.restore();
  cloudwatch.restore();
  lambda.restore();
  rmSync(dir, { recursive: true, force: true });
  delete process.env.COALMINE_STATE_MACHINE_ARN;
});

beforeEach(() => {
  sfn.reset();
  cloudwatch.reset();
  lambda.reset();
  // The alias as the rollback left it: all traffic on the baseline.
  lambda.on(GetAliasCommand).resolves({ Name: 'live', FunctionVersion: '41', RevisionId: 'r-2' });
  sfn.on(GetExecutionHistoryCommand).resolves({ events });
  // One datapoint per minute for every query, a 1 % canary and a 0.5 % baseline.
  cloudwatch.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: Array<{ Id: string; Label: string }> }) => ({
    MetricDataResults: input.MetricDataQueries.map((q) => {
      const minutes = Array.from({ length: 10 }, (_, i) => new Date(startedAtMs + i * 60_000));
      const value = q.Label.includes('failures') ? (q.Label.includes('canary') ? 10 : 50) : q.Label.includes('canary') ? 1_000 : 10_000;
      return { Id: q.Id, Label: q.Label, StatusCode: 'Complete', Timestamps: minutes, Values: minutes.map(() => value) };
    }),
  }));
  cloudwatch.on(DescribeAlarmHistoryCommand).resolves({
    AlarmHistoryItems: [
      {
        AlarmName: 'checkout-errors',
        Timestamp: new Date(startedAtMs + 120_000),
        HistoryItemType: 'StateUpdate',
        HistoryData: JSON.stringify({ version: '1.0', oldState: { stateValue: 'OK' }, newState: { stateValue: 'ALARM' } }),
      },
    ],
  });
});

describe('coalmine report', () => {
  it('reads the whole history, the checks per minute and the alarms, and writes the page', async () => {
    const out = join(dir, 'report.html');
    const run = await coalmine(['report', EXECUTION, '--out', out]);
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toEqual([expect.stringMatching(/^report: .*report\.html \(\d+ KiB, built in \d+ ms\)$/)]);
    expect(sfn).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { executionArn: EXECUTION_ARN, reverseOrder: false, includeExecutionData: true, maxResults: 1000 });
    const metricInput = cloudwatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input as { MetricDataQueries: Array<{ MetricStat?: { Period: number; Stat: string } }>; StartTime: Date; EndTime: Date };
    expect(metricInput.StartTime).toEqual(new Date(startedAtMs - 600_000));
    expect(metricInput.EndTime).toEqual(new Date(endedAtMs + 300_000));
    // stats-canary checks errors and latency-p99: Errors and Invocations per version, and Duration p99 per version.
    expect(metricInput.MetricDataQueries.map((q) => [q.MetricStat?.Stat, q.MetricStat?.Period])).toEqual([
      ['Sum', 60],
      ['Sum', 60],
      ['Sum', 60],
      ['Sum', 60],
      ['p99', 60],
      ['p99', 60],
    ]);
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmHistoryCommand, {
      AlarmName: 'checkout-errors',
      HistoryItemType: 'StateUpdate',
      StartDate: new Date(startedAtMs - 600_000),
      EndDate: new Date(endedAtMs + 300_000),
      ScanBy: 'TimestampAscending',
      MaxRecords: 100,
    });
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<h1>checkout: <span class="outcome rolled-back">rolled back</span></h1>');
    // The totals are the datapoints summed over the rollout: 10 minutes of 10 failures in 1,000 requests.
    expect(html).toMatch(/<td>canary<\/td><td class="num">10,000<\/td><td class="num">100<\/td><td class="num">1\.00 %<\/td>/);
    expect(html).toContain('data-kind="alarm"');
    expect(html).toContain('<tr id="look-1" data-verdict="fail">');
    // The target as it reads now, with a read only.
    expect(lambda).toHaveReceivedCommandWith(GetAliasCommand, { FunctionName: 'checkout', Name: 'live' });
    expect(html).toContain('<tr><th>The target now</th><td>reads 0 % on the new version</td></tr>');
  });

  it('refuses a missing --out or a malformed name before any AWS call', async () => {
    for (const args of [
      ['report', EXECUTION],
      ['report', 'not a name!', '--out', join(dir, 'x.html')],
      ['report', '--out', join(dir, 'x.html')],
      ['report', EXECUTION, '--out', join(dir, 'missing', 'x.html')],
    ]) {
      const run = await coalmine(args);
      expect(run.code).toBe(2);
      expect(run.stderr.join('\n')).toMatch(/--out FILE|neither an execution name|give one EXECUTION|missing does not exist; create it/);
    }
    expect(sfn).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 0);
  });

  it('names an execution that does not exist and where to find the right name', async () => {
    sfn.on(GetExecutionHistoryCommand).rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));
    const run = await coalmine(['report', EXECUTION, '--out', join(dir, 'none.html')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toEqual([`coalmine report: no execution ${EXECUTION_ARN}. \`coalmine list --all\` shows the recent ones.`]);
  });
});
