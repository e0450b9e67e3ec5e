/**
 * The CloudWatch alarm judge over the real CloudWatch wire protocol (JSON 1.0 from SDK v3), against
 * moto_server: two metric alarms, moved between states with SetAlarmState as CloudWatch would move them.
 *
 * moto diverges from AWS here (moto 5.2.1):
 * - A new alarm starts in OK ("Unchecked: Initial alarm creation"); AWS starts it in INSUFFICIENT_DATA.
 *   The tests set every state they rely on explicitly.
 * - moto does not evaluate alarms against metric data; only SetAlarmState changes a state.
 * - PutCompositeAlarm is not implemented (moto answers with an HTML 404 page), so the judge's reading of
 *   composite alarms is covered by unit tests only.
 */
import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
  type StateValue,
} from '@aws-sdk/client-cloudwatch';
import { useAwsClients } from '../../shared/aws/clients';
import { CloudWatchAlarmJudge } from '../../shared/judges/cloudwatch-alarms';
import { describeWithMoto, type MotoServer } from './moto';

const ERRORS = 'checkout-errors';
const LATENCY = 'checkout-p99-latency';
const ALARMS = [ERRORS, LATENCY];

async function putAlarm(server: MotoServer, name: string): Promise<void> {
  await server.clients.cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: 'AWS/Lambda',
      MetricName: name === ERRORS ? 'Errors' : 'Duration',
      Dimensions: [
        { Name: 'FunctionName', Value: 'checkout' },
        { Name: 'Resource', Value: 'checkout:live' },
      ],
      Statistic: name === ERRORS ? 'Sum' : undefined,
      ExtendedStatistic: name === ERRORS ? undefined : 'p99',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: name === ERRORS ? 5 : 800,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    }),
  );
}

async function setState(server: MotoServer, name: string, state: StateValue, reason: string): Promise<void> {
  await server.clients.cloudwatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: reason }));
}

describeWithMoto('CloudWatch alarm judge against moto_server', (server) => {
  let restore: () => void = () => undefined;
  beforeAll(async () => {
    restore = useAwsClients(server().clients);
    await server().reset();
  });
  afterAll(() => restore());

  beforeEach(async () => {
    // Dropping and re-creating the two alarms resets them; cheaper than a moto reset of every service.
    await server().clients.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: ALARMS }));
    for (const name of ALARMS) {
      await putAlarm(server(), name);
      await setState(server(), name, 'OK', 'Threshold Crossed: no datapoints were above the threshold');
    }
  });

  const judge = (insufficientData: 'inconclusive' | 'pass' | 'fail' = 'inconclusive', names = ALARMS) =>
    new CloudWatchAlarmJudge(names, insufficientData);

  it('moto starts a new alarm in OK, where AWS starts it in INSUFFICIENT_DATA', async () => {
    await putAlarm(server(), 'fresh-alarm');
    const described = await server().clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['fresh-alarm'] }));
    expect(described.MetricAlarms?.[0]).toMatchObject({ StateValue: 'OK', StateReason: 'Unchecked: Initial alarm creation' });
  });

  describe('both alarms OK', () => {
    it('preflight lets the rollout start', async () => {
      await expect(judge().preflight()).resolves.toBeUndefined();
    });

    it('measure passes, with each alarm as evidence', async () => {
      const result = await judge().measure();
      expect(result).toMatchObject({ judge: 'cloudwatch-alarms', verdict: 'pass', reason: '2 alarm(s) OK' });
      expect(result.evidence).toEqual({
        alarms: ALARMS.map((name) => ({
          name,
          state: 'OK',
          verdict: 'pass',
          reason: 'Threshold Crossed: no datapoints were above the threshold',
          updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
        })),
      });
    });
  });

  describe('one alarm in ALARM', () => {
    const reason = 'Threshold Crossed: 1 datapoint [12.0 (22/11/26 19:24:00)] was greater than the threshold (5.0).';
    beforeEach(async () => {
      await setState(server(), ERRORS, 'ALARM', reason);
    });

    it('preflight refuses with AlarmAlreadyFiring, naming the alarm and its reason', async () => {
      await expect(judge().preflight()).rejects.toMatchObject({
        name: 'AlarmAlreadyFiring',
        message: expect.stringContaining(`${ERRORS} (${reason})`),
      });
    });

    it('measure fails with the state reason', async () => {
      const result = await judge().measure();
      expect(result.verdict).toBe('fail');
      expect(result.reason).toBe(`alarm in ALARM: ${ERRORS} (ALARM: ${reason})`);
    });

    it('ALARM outweighs an alarm in INSUFFICIENT_DATA, whatever the policy', async () => {
      await setState(server(), LATENCY, 'INSUFFICIENT_DATA', 'no data');
      for (const policy of ['inconclusive', 'pass', 'fail'] as const) {
        await expect(judge(policy).measure()).resolves.toMatchObject({ verdict: 'fail' });
      }
    });

    it('back to OK: measure passes again', async () => {
      await setState(server(), ERRORS, 'OK', 'Threshold Crossed: recovered');
      await expect(judge().measure()).resolves.toMatchObject({ verdict: 'pass' });
      await expect(judge().preflight()).resolves.toBeUndefined();
    });
  });

  describe('an alarm in INSUFFICIENT_DATA counts as the policy says', () => {
    beforeEach(async () => {
      await setState(server(), LATENCY, 'INSUFFICIENT_DATA', 'Insufficient Data: 1 datapoint was unknown.');
    });

    it.each([
      ['inconclusive', 'inconclusive'],
      ['pass', 'pass'],
      ['fail', 'fail'],
    ] as const)('policy %s → %s', async (policy, verdict) => {
      const result = await judge(policy).measure();
      expect(result.verdict).toBe(verdict);
      if (verdict !== 'pass') expect(result.reason).toContain(`${LATENCY} (INSUFFICIENT_DATA: Insufficient Data: 1 datapoint was unknown.)`);
    });

    it('preflight does not refuse it (only ALARM refuses a start)', async () => {
      await expect(judge('fail').preflight()).resolves.toBeUndefined();
    });
  });

  describe('a missing alarm', () => {
    const names = [ERRORS, 'checkout-erors'];

    it('preflight refuses with PreflightFailed, naming it', async () => {
      await expect(judge('inconclusive', names).preflight()).rejects.toMatchObject({
        name: 'PreflightFailed',
        message: expect.stringContaining('CloudWatch alarm(s) not found: checkout-erors.'),
      });
    });

    it('measure calls it inconclusive, never a pass (the alarm was deleted mid-rollout)', async () => {
      const result = await judge('pass', names).measure();
      expect(result.verdict).toBe('inconclusive');
      expect(result.reason).toBe('alarm without a verdict: checkout-erors (MISSING: the alarm no longer exists)');
    });
  });
});
