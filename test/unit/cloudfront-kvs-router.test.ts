/**
 * The cloudfront-kvs router against a mocked KVS client: exact UpdateKeys inputs (KvsARN, IfMatch ETag,
 * keys and values as strings), compare-and-swap retries with a fresh ETag, the rollout lock, pins,
 * forward-only moves, idempotent promote and rollback, error mapping; and the target's request schema.
 */
import {
  AccessDeniedException,
  CloudFrontKeyValueStoreClient,
  ConflictException,
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  InternalServerException,
  ResourceNotFoundException,
  UpdateKeysCommand,
  type UpdateKeysCommandInput,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { parseRolloutRequest } from '../../shared/config/request';
import type { CloudFrontKvsTarget } from '../../shared/config/targets';
import {
  AwsThrottled,
  AwsUnavailable,
  PreflightFailed,
  RolloutInProgress,
  RolloutRequestInvalid,
  TrafficConflict,
  TrafficWriteConflict,
} from '../../shared/errors';
import { planRollout } from '../../shared/plan';
import { CAS_ATTEMPTS, CloudFrontKvsRouter, cloudFrontKvsKind } from '../../shared/routers/cloudfront-kvs';
import { routerKindFor } from '../../shared/routers/registry';
import { preflight as preflightTask } from '../../shared/tasks/preflight';

const ARN = 'arn:aws:cloudfront::123456789012:key-value-store/327284aa-bcd5-499f-a3ff-26b9a9d31b58';
const EXECUTION = 'storefront-2024-06-01';
const OUR_LOCK = JSON.stringify({ executionName: EXECUTION, since: '2024-06-01T10:00:00.000Z' });
const THEIR_LOCK = JSON.stringify({ executionName: 'storefront-other', since: '2024-05-30T08:00:00.000Z' });

const green: CloudFrontKvsTarget = { type: 'cloudfront-kvs', kvsArn: ARN, stableAfterPromotion: 'green' };
const blue: CloudFrontKvsTarget = { ...green, stableAfterPromotion: 'blue' };
const router = (target = green) => new CloudFrontKvsRouter(target, { greenPercentage: 0, lockHolder: EXECUTION });

const $metadata = {};
const conflict = () => new ConflictException({ message: 'Pre-Condition failed', $metadata });
const notFound = (what: string) => new ResourceNotFoundException({ message: `${what} not found`, $metadata });
const throttled = () =>
  Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });

/**
 * The store as the mocked client shows it: DescribeKeyValueStore gives the current ETag, GetKey the values,
 * and UpdateKeys applies a batch when IfMatch is the current ETag (each write gives a new ETag), as the service does.
 */
let store: { etag: string; status: string; values: Record<string, string>; version: number };
/** Writes by others that land just before our next UpdateKeys reaches the store: each one makes us lose a race. */
let interference: Array<Record<string, string | undefined>>;

const kvs = mockClient(CloudFrontKeyValueStoreClient);

function storeHas(values: Record<string, string>, status = 'READY'): void {
  store = { etag: 'ETAG1', status, values: { ...values }, version: 1 };
}

function apply(changes: Record<string, string | undefined>): void {
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete store.values[key];
    else store.values[key] = value;
  }
  store.version += 1;
  store.etag = `ETAG${store.version}`;
}

beforeEach(() => {
  kvs.reset();
  interference = [];
  storeHas({ green_percentage: '0', blue_cidrs: '[]', green_cidrs: '[]' });
  kvs.on(DescribeKeyValueStoreCommand).callsFake((input) => {
    if (input.KvsARN !== ARN) throw notFound('Key value store');
    return { KvsARN: ARN, ETag: store.etag, ItemCount: Object.keys(store.values).length, TotalSizeInBytes: 0, Created: new Date(0), Status: store.status };
  });
  kvs.on(GetKeyCommand).callsFake((input) => {
    const value = store.values[String(input.Key)];
    if (value === undefined) throw notFound(`Key ${input.Key}`);
    return { Key: input.Key, Value: value, ItemCount: Object.keys(store.values).length, TotalSizeInBytes: 0 };
  });
  kvs.on(UpdateKeysCommand).callsFake((input: UpdateKeysCommandInput) => {
    const theirs = interference.shift();
    if (theirs !== undefined) apply(theirs);
    if (input.IfMatch !== store.etag) throw conflict();
    const changes: Record<string, string | undefined> = {};
    for (const { Key } of input.Deletes ?? []) changes[String(Key)] = undefined;
    for (const { Key, Value } of input.Puts ?? []) changes[String(Key)] = String(Value);
    apply(changes);
    return { ETag: store.etag, ItemCount: Object.keys(store.values).length, TotalSizeInBytes: 0 };
  });
});

const updates = () => kvs.commandCalls(UpdateKeysCommand).map((call) => call.args[0].input);
const lockIn = (input: UpdateKeysCommandInput | undefined) =>
  JSON.parse(String(input?.Puts?.find((p) => p.Key === 'coalmine_lock')?.Value)) as { executionName: string; since: string };

/** What the baseline says of a store without pins. */
const NO_PINS = { bluePins: 'IPv4 0 %, IPv6 0 % of the address space and no countries', greenPins: 'IPv4 0 %, IPv6 0 % of the address space and no countries' };

describe('preflight', () => {
  const preflight = (target: CloudFrontKvsTarget = green) => cloudFrontKvsKind.preflight(target, { executionName: EXECUTION, allowLargeGreenPins: false });

  it('takes the lock in one UpdateKeys guarded by the ETag it read, and records 0 % as the baseline', async () => {
    const baseline = await preflight();

    expect(baseline).toEqual({ greenPercentage: 0, lockHolder: EXECUTION, ...NO_PINS });
    expect(kvs).toHaveReceivedCommandWith(DescribeKeyValueStoreCommand, { KvsARN: ARN });
    expect(updates()).toEqual([{ KvsARN: ARN, IfMatch: 'ETAG1', Puts: [{ Key: 'coalmine_lock', Value: expect.any(String) }] }]);
    const lock = lockIn(updates()[0]);
    expect(lock.executionName).toBe(EXECUTION);
    expect(new Date(lock.since).toISOString()).toBe(lock.since);
    expect(store.values).toMatchObject({ green_percentage: '0', blue_cidrs: '[]', green_cidrs: '[]' });
  });

  it('writes the request’s pins as JSON in the same batch as the lock, before any traffic moves', async () => {
    await preflight({ ...green, blueCidrs: ['198.51.100.0/24'], greenCidrs: ['203.0.113.10', '2001:db8:42::/48'] });

    expect(updates()).toEqual([
      {
        KvsARN: ARN,
        IfMatch: 'ETAG1',
        Puts: [
          { Key: 'coalmine_lock', Value: expect.any(String) },
          { Key: 'blue_cidrs', Value: '["198.51.100.0/24"]' },
          { Key: 'green_cidrs', Value: '["203.0.113.10","2001:db8:42::/48"]' },
        ],
      },
    ]);
  });

  it('leaves pins it is not given as they are', async () => {
    storeHas({ green_percentage: '0', blue_cidrs: '["10.0.0.0/8"]', green_cidrs: '["192.0.2.1"]' });

    await preflight();

    expect(updates()[0]?.Puts?.map((p) => p.Key)).toEqual(['coalmine_lock']);
    expect(store.values).toMatchObject({ blue_cidrs: '["10.0.0.0/8"]', green_cidrs: '["192.0.2.1"]' });
  });

  it('creates the keys the edge needs in a new store (a missing key sends every viewer to blue)', async () => {
    storeHas({});

    await expect(preflight()).resolves.toEqual({ greenPercentage: 0, lockHolder: EXECUTION, ...NO_PINS });

    expect(updates()[0]?.Puts).toEqual([
      { Key: 'green_percentage', Value: '0' },
      { Key: 'coalmine_lock', Value: expect.any(String) },
      { Key: 'blue_cidrs', Value: '[]' },
      { Key: 'green_cidrs', Value: '[]' },
    ]);
  });

  it('refuses while another execution holds the lock, naming it, and writes nothing', async () => {
    storeHas({ green_percentage: '25', blue_cidrs: '[]', green_cidrs: '[]', coalmine_lock: THEIR_LOCK });

    const refusal = preflight();

    await expect(refusal).rejects.toBeInstanceOf(RolloutInProgress);
    await expect(refusal).rejects.toThrow(/locked by execution storefront-other \(since 2024-05-30T08:00:00.000Z\)/);
    await expect(refusal).rejects.toThrow(/delete-key --kvs-arn .* --key coalmine_lock/);
    expect(kvs).toHaveReceivedCommandTimes(UpdateKeysCommand, 0);
  });

  it('refuses a store whose blue_cidrs the edge cannot parse, naming the key, and writes nothing', async () => {
    storeHas({ green_percentage: '0', blue_cidrs: 'not json', green_cidrs: '[]' });

    const refusal = preflight();

    await expect(refusal).rejects.toBeInstanceOf(PreflightFailed);
    await expect(refusal).rejects.toThrow('blue_cidrs is "not json", which is not a JSON array, so the edge sends every viewer blue');
    expect(kvs).toHaveReceivedCommandTimes(UpdateKeysCommand, 0);
  });

  it('refuses green pins above the bound kept in the store, and takes them with allowLargeGreenPins', async () => {
    storeHas({ green_percentage: '0', blue_cidrs: '[]', green_cidrs: '["0.0.0.0/0","::/0"]' });

    await expect(preflight()).rejects.toThrow('the green pins (the canary\'s colour) in green_cidrs (the request gives no greenCidrs, so they stay) cover IPv4 100 %, IPv6 100 %');
    expect(kvs).toHaveReceivedCommandTimes(UpdateKeysCommand, 0);

    const baseline = await cloudFrontKvsKind.preflight(green, { executionName: EXECUTION, allowLargeGreenPins: true });
    expect(baseline).toMatchObject({ greenPins: 'IPv4 100 %, IPv6 100 % of the address space and no countries' });
  });

  it('refuses a lock it cannot read: only a person can tell whose it was', async () => {
    storeHas({ green_percentage: '0', blue_cidrs: '[]', green_cidrs: '[]', coalmine_lock: 'taken' });

    await expect(preflight()).rejects.toThrow(/locked by an unreadable lock/);
    expect(kvs).toHaveReceivedCommandTimes(UpdateKeysCommand, 0);
  });

  it('goes on with its own lock when the Preflight task is retried, without writing again', async () => {
    storeHas({ green_percentage: '0', blue_cidrs: '[]', green_cidrs: '[]', coalmine_lock: OUR_LOCK });

    await expect(preflight()).resolves.toEqual({ greenPercentage: 0, lockHolder: EXECUTION, ...NO_PINS });
    expect(kvs).toHaveReceivedCommandTimes(UpdateKeysCommand, 0);
  });

  it.each<[string, string, typeof RolloutInProgress | typeof PreflightFailed, RegExp]>([
    ['mid-way without a lock', '30', RolloutInProgress, /mid-rollout: green_percentage is 30 without a coalmine lock/],
    ['green serving everyone', '100', PreflightFailed, /green already serves everyone .* "stableAfterPromotion": "blue"/],
    ['a malformed percentage', '50.5', PreflightFailed, /green_percentage is "50.5", not a whole percentage/],
  ])('refuses a green canary on a store with %s', async (_label, value, error, message) => {
    storeHas({ green_percentage: value, blue_cidrs: '[]', green_cidrs: '[]' });

    const refusal = preflight();

    await expect(refusal).rejects.toBeInstanceOf(error);
    await expect(refusal).rejects.toThrow(message);
    expect(kvs).toHaveReceivedCommandTimes(UpdateKeysCommand, 0);
  });

  it('starts a blue canary from green serving everyone (100), and refuses it from 0 or a missing key', async () => {
    storeHas({ green_percentage: '100', blue_cidrs: '[]', green_cidrs: '[]' });
    await expect(preflight(blue)).resolves.toEqual({ greenPercentage: 100, lockHolder: EXECUTION, ...NO_PINS });

    kvs.resetHistory();
    storeHas({ green_percentage: '0', blue_cidrs: '[]', green_cidrs: '[]' });
    await expect(preflight(blue)).rejects.toThrow(/blue already serves everyone .* "stableAfterPromotion": "green"/);

    storeHas({});
    await expect(preflight(blue)).rejects.toThrow(/green_percentage is missing, so the edge sends everyone to blue/);
    expect(kvs).toHaveReceivedCommandTimes(UpdateKeysCommand, 0);
  });

  it('refuses a store that does not exist or is not READY', async () => {
    await expect(preflight({ ...green, kvsArn: ARN.replace('327284aa', '00000000') })).rejects.toThrow(PreflightFailed);

    storeHas({}, 'PROVISIONING');
    await expect(preflight()).rejects.toThrow(/is PROVISIONING, not READY/);
    expect(kvs).toHaveReceivedCommandTimes(UpdateKeysCommand, 0);
  });

  it('re-reads after losing the race for the lock and then refuses: the other rollout got it', async () => {
    interference.push({ coalmine_lock: THEIR_LOCK });

    await expect(preflight()).rejects.toThrow(/locked by execution storefront-other/);
    expect(updates().map((u) => u.IfMatch)).toEqual(['ETAG1']);
  });

  it('rejects bad CIDRs in the Preflight task before any call to the store', async () => {
    const request = {
      target: { type: 'cloudfront-kvs', kvsArn: ARN, greenCidrs: ['203.0.113.0/24', '203.0.113.300/32'] },
      strategy: { preset: 'canary10-5m' },
      analysis: {},
    };

    const refusal = preflightTask({ request, executionName: EXECUTION, startedAt: '2024-06-01T10:00:00Z' });

    await expect(refusal).rejects.toBeInstanceOf(RolloutRequestInvalid);
    await expect(refusal).rejects.toThrow('target.greenCidrs.1: "203.0.113.300/32" is not a valid CIDR: octet 300 is above 255');
    expect(kvs.calls()).toHaveLength(0);
  });
});

describe('setWeight', () => {
  beforeEach(() => storeHas({ green_percentage: '0', blue_cidrs: '[]', green_cidrs: '[]', coalmine_lock: OUR_LOCK }));

  it('puts green_percentage as a decimal string, guarded by the ETag it read', async () => {
    await router().setWeight(10, 0);

    expect(kvs).toHaveReceivedCommandWith(GetKeyCommand, { KvsARN: ARN, Key: 'green_percentage' });
    expect(kvs).toHaveReceivedCommandWith(GetKeyCommand, { KvsARN: ARN, Key: 'coalmine_lock' });
    expect(updates()).toEqual([{ KvsARN: ARN, IfMatch: 'ETAG1', Puts: [{ Key: 'green_percentage', Value: '10' }] }]);
    expect(store.values.green_percentage).toBe('10');
  });

  it('writes 100 minus the share for a blue canary', async () => {
    storeHas({ green_percentage: '100', coalmine_lock: OUR_LOCK });

    await router(blue).setWeight(10, 0);

    expect(updates()).toEqual([{ KvsARN: ARN, IfMatch: 'ETAG1', Puts: [{ Key: 'green_percentage', Value: '90' }] }]);
  });

  it('is a no-op when the store already has the weight', async () => {
    store.values.green_percentage = '10';

    await router().setWeight(10, 0);

    expect(kvs).toHaveReceivedCommandTimes(UpdateKeysCommand, 0);
  });

  it('retries a lost race with a fresh ETag and writes once it wins', async () => {
    interference.push({ unrelated_key: 'x' });

    await router().setWeight(50, 0);

    expect(updates().map((u) => u.IfMatch)).toEqual(['ETAG1', 'ETAG2']);
    expect(updates()[1]).toEqual({ KvsARN: ARN, IfMatch: 'ETAG2', Puts: [{ Key: 'green_percentage', Value: '50' }] });
    expect(store.values.green_percentage).toBe('50');
  });

  it('loses to a concurrent rollback: the re-read finds 0 % and refuses to move forward again', async () => {
    store.values.green_percentage = '10';
    interference.push({ green_percentage: '0' });

    const refusal = router().setWeight(50, 10);

    await expect(refusal).rejects.toBeInstanceOf(TrafficConflict);
    await expect(refusal).rejects.toThrow(/the green canary has 0 %, not the 10 % this rollout left it at/);
    expect(store.values.green_percentage).toBe('0');
  });

  it(`gives up after ${CAS_ATTEMPTS} lost races in a row with TrafficWriteConflict (the state machine retries it)`, async () => {
    interference.push({ a: '1' }, { a: '2' }, { a: '3' });

    const refusal = router().setWeight(10, 0);

    await expect(refusal).rejects.toBeInstanceOf(TrafficWriteConflict);
    await expect(refusal).rejects.toThrow(/changed between read and write 3 times in a row/);
    expect(updates().map((u) => u.IfMatch)).toEqual(['ETAG1', 'ETAG2', 'ETAG3']);
    expect(store.values.green_percentage).toBe('0');
  });

  it('refuses to move from anywhere but where this rollout left it', async () => {
    store.values.green_percentage = '25';

    await expect(router().setWeight(50, 10)).rejects.toThrow(/has 25 %, not the 10 %/);
    expect(kvs).toHaveReceivedCommandTimes(UpdateKeysCommand, 0);
  });

  it.each<[string, string | undefined, RegExp]>([
    ['taken by another execution', THEIR_LOCK, /held by execution storefront-other/],
    ['removed', undefined, /someone removed it/],
  ])('refuses when the lock was %s', async (_label, lock, message) => {
    if (lock === undefined) delete store.values.coalmine_lock;
    else store.values.coalmine_lock = lock;

    const refusal = router().setWeight(10, 0);

    await expect(refusal).rejects.toBeInstanceOf(TrafficConflict);
    await expect(refusal).rejects.toThrow(message);
    expect(kvs).toHaveReceivedCommandTimes(UpdateKeysCommand, 0);
  });

  it('refuses when green_percentage is not a whole percentage (the edge would send everyone to blue)', async () => {
    store.values.green_percentage = 'ten';

    await expect(router().setWeight(10, 0)).rejects.toThrow(/green_percentage is "ten", not a whole percentage/);
  });

  it.each([[12.5], [100], [-1]])('takes only whole percentages below 100, not %s', async (percent) => {
    await expect(router().setWeight(percent, 0)).rejects.toBeInstanceOf(RangeError);
    expect(kvs.calls()).toHaveLength(0);
  });
});

describe('verifyWeight', () => {
  it('says unobservable when the store has the weight (the edges may not yet), mismatch when not', async () => {
    store.values.green_percentage = '10';

    await expect(router().verifyWeight(10)).resolves.toBe('unobservable');
    await expect(router().verifyWeight(50)).resolves.toBe('mismatch');
    expect(kvs).toHaveReceivedCommandWith(GetKeyCommand, { KvsARN: ARN, Key: 'green_percentage' });
    expect(kvs).toHaveReceivedCommandTimes(UpdateKeysCommand, 0);
  });

  it('reads a blue canary’s share as 100 minus the key', async () => {
    store.values.green_percentage = '75';

    await expect(router(blue).getWeight()).resolves.toBe(25);
    await expect(router(blue).verifyWeight(25)).resolves.toBe('unobservable');
  });
});

describe('promote', () => {
  beforeEach(() =>
    storeHas({ green_percentage: '50', blue_cidrs: '["198.51.100.0/24"]', green_cidrs: '["203.0.113.10"]', coalmine_lock: OUR_LOCK }),
  );

  it('puts 100, empties the old colour’s pins and releases the lock, in one batch', async () => {
    await router().promote(50);

    expect(updates()).toEqual([
      {
        KvsARN: ARN,
        IfMatch: 'ETAG1',
        Puts: [
          { Key: 'green_percentage', Value: '100' },
          { Key: 'blue_cidrs', Value: '[]' },
        ],
        Deletes: [{ Key: 'coalmine_lock' }],
      },
    ]);
    expect(store.values).toEqual({ green_percentage: '100', blue_cidrs: '[]', green_cidrs: '["203.0.113.10"]' });
  });

  it('promotes a blue canary to green_percentage 0 and empties the green pins', async () => {
    store.values.green_percentage = '50';

    await router(blue).promote(50);

    expect(updates()[0]).toEqual({
      KvsARN: ARN,
      IfMatch: 'ETAG1',
      Puts: [
        { Key: 'green_percentage', Value: '0' },
        { Key: 'green_cidrs', Value: '[]' },
      ],
      Deletes: [{ Key: 'coalmine_lock' }],
    });
  });

  it('is idempotent: a retried Promote finds 100 % and no lock and writes nothing', async () => {
    await router().promote(50);
    kvs.resetHistory();

    await router().promote(50);

    expect(kvs).toHaveReceivedCommandTimes(UpdateKeysCommand, 0);
  });

  it('refuses to promote over a rollback pushed from outside', async () => {
    store.values.green_percentage = '0';

    await expect(router().promote(50)).rejects.toThrow(/has 0 %, not the 50 % this rollout left it at/);
    expect(kvs).toHaveReceivedCommandTimes(UpdateKeysCommand, 0);
  });

  it('promotes straight from 0 when the plan has no canary step (all-at-once)', async () => {
    store.values.green_percentage = '0';

    await router().promote(0);

    expect(store.values.green_percentage).toBe('100');
    expect(store.values.coalmine_lock).toBeUndefined();
  });
});

describe('rollback', () => {
  beforeEach(() =>
    storeHas({ green_percentage: '10', blue_cidrs: '["198.51.100.0/24"]', green_cidrs: '["203.0.113.10"]', coalmine_lock: OUR_LOCK }),
  );

  it('puts 0, empties the canary’s pins and releases the lock, in one batch', async () => {
    const outcome = await router().rollback();

    expect(updates()).toEqual([
      {
        KvsARN: ARN,
        IfMatch: 'ETAG1',
        Puts: [
          { Key: 'green_percentage', Value: '0' },
          { Key: 'green_cidrs', Value: '[]' },
        ],
        Deletes: [{ Key: 'coalmine_lock' }],
      },
    ]);
    expect(outcome).toEqual({
      changed: true,
      detail: 'kvs/327284aa-bcd5-499f-a3ff-26b9a9d31b58 gives the green canary 0 % again (green_percentage 0, was 10 %; green_cidrs cleared); lock released',
    });
    expect(store.values).toEqual({ green_percentage: '0', blue_cidrs: '["198.51.100.0/24"]', green_cidrs: '[]' });
  });

  it('is safe to run twice: the second call finds 0 % and no lock and writes nothing', async () => {
    await router().rollback();
    kvs.resetHistory();

    const second = await router().rollback();

    expect(second.changed).toBe(false);
    expect(second.detail).toContain('already gives the green canary 0 %');
    expect(kvs).toHaveReceivedCommandTimes(UpdateKeysCommand, 0);
  });

  it('rolls a blue canary back to green_percentage 100 and empties the blue pins', async () => {
    store.values.green_percentage = '70';

    await router(blue).rollback();

    expect(updates()[0]?.Puts).toEqual([
      { Key: 'green_percentage', Value: '100' },
      { Key: 'blue_cidrs', Value: '[]' },
    ]);
  });

  it('only releases its lock when the traffic is already back', async () => {
    storeHas({ green_percentage: '0', blue_cidrs: '[]', green_cidrs: '[]', coalmine_lock: OUR_LOCK });

    const outcome = await router().rollback();

    expect(updates()).toEqual([{ KvsARN: ARN, IfMatch: 'ETAG1', Deletes: [{ Key: 'coalmine_lock' }] }]);
    expect(outcome.changed).toBe(false);
  });

  it('leaves the store alone when another rollout holds the lock', async () => {
    store.values.coalmine_lock = THEIR_LOCK;

    const outcome = await router().rollback();

    expect(outcome).toEqual({
      changed: false,
      detail: expect.stringContaining('is locked by execution storefront-other (since 2024-05-30T08:00:00.000Z), not by this rollout'),
    });
    expect(kvs).toHaveReceivedCommandTimes(UpdateKeysCommand, 0);
  });

  it('still rolls back traffic on the canary when nobody holds the lock', async () => {
    delete store.values.coalmine_lock;

    const outcome = await router().rollback();

    expect(updates()[0]).toEqual({
      KvsARN: ARN,
      IfMatch: 'ETAG1',
      Puts: [
        { Key: 'green_percentage', Value: '0' },
        { Key: 'green_cidrs', Value: '[]' },
      ],
    });
    expect(outcome.detail).toContain('there was no coalmine_lock');
  });

  it('retries a lost race and rolls back over the value it re-read', async () => {
    interference.push({ green_percentage: '50' });

    const outcome = await router().rollback();

    expect(updates().map((u) => u.IfMatch)).toEqual(['ETAG1', 'ETAG2']);
    expect(store.values.green_percentage).toBe('0');
    expect(outcome.detail).toContain('was 50 %');
  });
});

describe('AWS errors', () => {
  it.each<[string, string, () => Error]>([
    ['ThrottlingException', 'AwsThrottled', throttled],
    ['InternalServerException', 'AwsUnavailable', () => new InternalServerException({ message: 'Internal server error', $metadata })],
    ['AccessDeniedException', 'AccessDeniedException', () => new AccessDeniedException({ message: 'not allowed', $metadata })],
  ])('%s from GetKey reaches the state machine as %s', async (_name, expected, error) => {
    kvs.on(GetKeyCommand).rejects(error());

    await expect(router().getWeight()).rejects.toMatchObject({ name: expected });
  });

  it('maps throttling of the write too, without counting it as a lost race', async () => {
    storeHas({ green_percentage: '0', coalmine_lock: OUR_LOCK });
    kvs.on(UpdateKeysCommand).rejects(throttled());

    const refusal = router().setWeight(10, 0);

    await expect(refusal).rejects.toBeInstanceOf(AwsThrottled);
    expect(kvs).toHaveReceivedCommandTimes(UpdateKeysCommand, 1);
  });

  it('maps a server fault of DescribeKeyValueStore in preflight', async () => {
    kvs.on(DescribeKeyValueStoreCommand).rejects(new InternalServerException({ message: 'boom', $metadata }));

    await expect(cloudFrontKvsKind.preflight(green, { executionName: EXECUTION, allowLargeGreenPins: false })).rejects.toBeInstanceOf(AwsUnavailable);
  });
});

describe('the cloudfront-kvs target in a request', () => {
  const request = (target: object, strategy: object = { preset: 'canary10-5m' }) => ({
    target: { type: 'cloudfront-kvs', kvsArn: ARN, ...target },
    strategy,
    analysis: {},
  });
  const problemsWith = (input: unknown): string => {
    try {
      parseRolloutRequest(input);
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('is registered, cannot observe propagation, and so plans a settle wait per step', () => {
    const parsed = parseRolloutRequest(request({}, { weights: [5, 50, 100], bakeSeconds: 60 }));

    expect(routerKindFor(parsed.target).observable).toBe(false);
    expect(cloudFrontKvsKind.observable).toBe(false);
    expect(parsed.target).toEqual({ type: 'cloudfront-kvs', kvsArn: ARN, stableAfterPromotion: 'green' });
    const plan = planRollout(parsed, { observable: cloudFrontKvsKind.observable });
    expect(plan.settleSeconds).toBe(30);
    expect(plan.nominalSeconds).toBe(2 * 60 + 2 * 30);
  });

  it.each([
    ['the store’s name', 'storefront-routing'],
    ['a distribution ARN', 'arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE'],
    ['a region in the ARN', 'arn:aws:cloudfront:us-east-1:123456789012:key-value-store/327284aa'],
    ['a short account', 'arn:aws:cloudfront::12345:key-value-store/327284aa'],
  ])('refuses %s as kvsArn', (_label, kvsArn) => {
    expect(problemsWith(request({ kvsArn }))).toContain('target.kvsArn: a KeyValueStore ARN: arn:aws:cloudfront::<12-digit account>');
  });

  it('names every bad CIDR with its position', () => {
    const message = problemsWith(request({ blueCidrs: ['10.0.0.0/8', '10.0.0.1/8'], greenCidrs: ['fe80::1%eth0'] }));

    expect(message).toContain('target.blueCidrs.1: "10.0.0.1/8" is not a valid CIDR: host bits are set below /8: the network is 10.0.0.0/8');
    expect(message).toContain('target.greenCidrs.0: "fe80::1%eth0" is not a valid CIDR: zone ids');
    expect(message).not.toContain('blueCidrs.0');
  });

  it('refuses a pin list whose JSON would not fit a 1 KB KVS value, and accepts one that does', () => {
    const cidrs = (n: number) => Array.from({ length: n }, (_, i) => `2001:db8:${i.toString(16)}::/48`);
    const fits = cidrs(40);
    expect(Buffer.byteLength(JSON.stringify(fits))).toBeLessThanOrEqual(1024);

    expect(problemsWith(request({ greenCidrs: fits }))).toBe('');
    expect(problemsWith(request({ greenCidrs: cidrs(60) }))).toMatch(
      /target\.greenCidrs: 60 CIDRs make \d+ bytes of JSON in the KVS key green_cidrs, over the 1024-byte limit/,
    );
  });

  it('takes country pins as ISO 3166-1 alpha-2 codes, and names every bad one with its position', () => {
    expect(parseRolloutRequest(request({ blueCountries: ['DE'], greenCountries: ['NZ', 'AU'] })).target).toMatchObject({ blueCountries: ['DE'], greenCountries: ['NZ', 'AU'] });
    const message = problemsWith(request({ blueCountries: ['de', 'XX'], greenCountries: ['UK'] }));
    expect(message).toContain('target.blueCountries.0: "de" must be written "DE": CloudFront sends the code in upper case');
    expect(message).toContain('target.blueCountries.1: "XX" is not an ISO 3166-1 alpha-2 country code');
    expect(message).toContain('target.greenCountries.0: "UK" is not an ISO 3166-1 alpha-2 country code (two letters such as "DE" or "NZ"); the United Kingdom is "GB"');
  });

  it('refuses a country list whose JSON would not fit a 1 KB KVS value', () => {
    const codes = (n: number) => Array.from({ length: n }, () => 'NZ');
    expect(problemsWith(request({ greenCountries: codes(204) }))).toBe('');
    expect(problemsWith(request({ greenCountries: codes(205) }))).toMatch(/target\.greenCountries: 205 country codes make 1026 bytes of JSON in the KVS key green_countries/);
  });

  it('takes viewerCookie "use" or "ignore" only', () => {
    expect(parseRolloutRequest(request({ viewerCookie: 'ignore' })).target).toMatchObject({ viewerCookie: 'ignore' });
    expect(problemsWith(request({ viewerCookie: 'off' }))).toContain('target.viewerCookie: viewerCookie is "use" or "ignore"');
  });

  it('refuses green pins above the bound unless the override allows them with a reason', () => {
    const everyone = request({ greenCidrs: ['0.0.0.0/0', '::/0'] });
    expect(problemsWith(everyone)).toContain(
      'target.greenCidrs: the green pins (the canary\'s colour) cover IPv4 100 %, IPv6 100 % of the address space, over the bound for pins to the canary of IPv4 0.0015 % (a /16)',
    );
    expect(problemsWith({ ...everyone, override: { allowLargeGreenPins: true } })).toContain('override.reason: required: say why the rollout needs the override');
    const allowed = parseRolloutRequest({ ...everyone, override: { allowLargeGreenPins: true, reason: 'open beta for every viewer' } });
    expect(allowed.override).toEqual({ allowLargeGreenPins: true, reason: 'open beta for every viewer' });
    // Pins to the stable colour are never bounded; for a blue canary those are the green ones.
    expect(problemsWith(request({ blueCidrs: ['0.0.0.0/0'] }))).toBe('');
    expect(problemsWith(request({ greenCidrs: ['0.0.0.0/0'], stableAfterPromotion: 'blue' }))).toBe('');
    expect(problemsWith(request({ blueCidrs: ['0.0.0.0/0'], stableAfterPromotion: 'blue' }))).toContain(
      "target.blueCidrs: the blue pins (the canary's colour) cover IPv4 100 %, IPv6 0 % of the address space",
    );
  });

  it('refuses an override that allows nothing, and allowLargeGreenPins on a target without pins', () => {
    expect(problemsWith({ ...request({}), override: { reason: 'x' } })).toContain('override: an override says what it allows');
    expect(
      problemsWith({ ...request({}), target: { type: 'lambda-alias', functionName: 'f', alias: 'live', version: '2' }, override: { allowLargeGreenPins: true, reason: 'x' } }),
    ).toContain('override.allowLargeGreenPins: only a cloudfront-kvs target has green pins');
  });

  it('takes whole-percentage weights only, and says why', () => {
    expect(problemsWith(request({}, { weights: [2.5, 10, 100], bakeSeconds: 60 }))).toBe(
      'The rollout request is invalid: strategy.weights.0: a cloudfront-kvs target takes whole percentages (green_percentage is an integer): 2.5 is not one',
    );
    expect(problemsWith(request({}, { weights: [1, 10, 100], bakeSeconds: 60 }))).toBe('');
    // A Lambda alias still takes two decimals.
    expect(
      problemsWith({ ...request({}), target: { type: 'lambda-alias', functionName: 'f', alias: 'live', version: '2' }, strategy: { weights: [2.5, 100], bakeSeconds: 60 } }),
    ).toBe('');
  });

  it('refuses an unknown colour and unknown fields', () => {
    expect(problemsWith(request({ stableAfterPromotion: 'purple' }))).toContain('target.stableAfterPromotion: stableAfterPromotion is "green" or "blue"');
    expect(problemsWith(request({ greenPercentage: 10 }))).toContain('unknown field "greenPercentage"');
  });
});

describe('restore (the rollback window, docs/rollback-window.md)', () => {
  const RECORD = { executionName: EXECUTION, by: 'alice (U0ALICE123)', reason: 'p99 doubled', at: '2024-06-02T09:00:00.000Z' };
  const WRITTEN = `coalmine restored blue after ${EXECUTION} at 2024-06-02T09:00:00.000Z for alice (U0ALICE123): p99 doubled`;
  // As the promotion left the store: green serves everyone, no lock, the blue pins emptied.
  beforeEach(() => storeHas({ green_percentage: '100', blue_cidrs: '[]', green_cidrs: '["203.0.113.10"]' }));

  it('puts the colour it started from back, empties the canary colour’s pins and writes the record, in one batch guarded by the ETag', async () => {
    expect(await router().inspectPromoted()).toEqual({ kind: 'as-promoted', detail: 'kvs/327284aa-bcd5-499f-a3ff-26b9a9d31b58 gives the green canary 100 % (green_percentage 100), as the promotion left it' });
    expect(await router().restore(RECORD)).toEqual({ written: true, detail: 'kvs/327284aa-bcd5-499f-a3ff-26b9a9d31b58 sends everyone to blue again (was all on green)' });

    expect(updates()).toEqual([
      {
        KvsARN: ARN,
        IfMatch: 'ETAG1',
        Puts: [
          { Key: 'green_percentage', Value: '0' },
          { Key: 'green_cidrs', Value: '[]' },
          { Key: 'coalmine_restore', Value: WRITTEN },
        ],
      },
    ]);
    expect(await router().inspectPromoted()).toEqual({
      kind: 'restored',
      detail: 'kvs/327284aa-bcd5-499f-a3ff-26b9a9d31b58 gives the green canary 0 % (green_percentage 0): everyone is on blue',
      record: { ...RECORD, restored: 'blue' },
    });
  });

  it('puts 100 back for a blue canary and empties the blue pins', async () => {
    storeHas({ green_percentage: '0', blue_cidrs: '["198.51.100.0/24"]', green_cidrs: '[]' });
    expect(await router(blue).restore(RECORD)).toMatchObject({ written: true });
    expect(updates()[0]?.Puts).toEqual([
      { Key: 'green_percentage', Value: '100' },
      { Key: 'blue_cidrs', Value: '[]' },
      { Key: 'coalmine_restore', Value: WRITTEN.replace('restored blue', 'restored green') },
    ]);
  });

  it('loses the race to a new rollout’s Preflight: the re-read finds its lock and writes nothing', async () => {
    interference = [{ coalmine_lock: THEIR_LOCK }];
    expect(await router().restore(RECORD)).toEqual({
      written: false,
      view: { kind: 'changed', detail: 'kvs/327284aa-bcd5-499f-a3ff-26b9a9d31b58 is locked by execution storefront-other (since 2024-05-30T08:00:00.000Z): another rollout drives it' },
    });
    expect(updates()).toHaveLength(1);
    expect(store.values).toEqual({ green_percentage: '100', blue_cidrs: '[]', green_cidrs: '["203.0.113.10"]', coalmine_lock: THEIR_LOCK });
  });

  it.each<[string, Record<string, string>, string]>([
    ['a share in between', { green_percentage: '40' }, ' gives the green canary 40 % (green_percentage 40), not the 100 % the promotion left'],
    ['pins to the old colour again', { green_percentage: '100', blue_cidrs: '["198.51.100.0/24"]' }, ': blue_cidrs pin viewers to blue again since the promotion emptied them'],
    ['an unreadable weight', { green_percentage: 'full' }, ': green_percentage is "full", not a whole percentage'],
  ])('writes nothing over %s, and says what the store shows', async (_, values, detail) => {
    storeHas(values);
    expect(await router().restore(RECORD)).toEqual({ written: false, view: { kind: 'changed', detail: `kvs/327284aa-bcd5-499f-a3ff-26b9a9d31b58${detail}` } });
    expect(updates()).toEqual([]);
  });

  it('writes nothing the second time: the store is restored already', async () => {
    await router().restore(RECORD);
    expect(await router().restore({ ...RECORD, at: '2024-06-02T09:05:00.000Z' })).toMatchObject({ written: false, view: { kind: 'restored', record: { at: RECORD.at } } });
    expect(updates()).toHaveLength(1);
  });
});
