/**
 * The cloudfront-kvs router's pure decisions (shared/routers/kvs-decisions.ts), table by table: what a store
 * read gives each task to write, or which named error refuses it. The mocked-client suite
 * (cloudfront-kvs-router.test.ts) proves the I/O around them.
 */
import type { CloudFrontKvsTarget } from '../../shared/config/targets';
import { PreflightFailed, RolloutInProgress, TrafficConflict } from '../../shared/errors';
import {
  decidePreflight,
  decidePromote,
  decideRollback,
  decideShift,
  type Change,
  type KvsRollout,
  type StoreView,
} from '../../shared/routers/kvs-decisions';

const ARN = 'arn:aws:cloudfront::123456789012:key-value-store/327284aa-bcd5-499f-a3ff-26b9a9d31b58';
const US = 'exec-us';
const OURS = JSON.stringify({ executionName: US, since: '2024-06-01T10:00:00.000Z' });
const THEIRS = JSON.stringify({ executionName: 'exec-them', since: '2024-05-30T08:00:00.000Z' });
const NEW_LOCK = JSON.stringify({ executionName: US, since: '2024-06-02T00:00:00.000Z' });

const target = (canary: 'green' | 'blue', pins: Partial<CloudFrontKvsTarget> = {}): CloudFrontKvsTarget => ({
  type: 'cloudfront-kvs',
  kvsArn: ARN,
  stableAfterPromotion: canary,
  ...pins,
});
const rollout = (canary: 'green' | 'blue' = 'green', pins: Partial<CloudFrontKvsTarget> = {}): KvsRollout => ({ target: target(canary, pins), holder: US });
const view = (values: StoreView['values'], status: string | undefined = 'READY'): StoreView => ({ status, values });
const puts = (...entries: Array<[string, string]>): Change['puts'] => entries.map(([Key, Value]) => ({ Key, Value }) as Change['puts'][number]);
const LOCK_DELETE: Change['deletes'] = [{ Key: 'coalmine_lock' }];

describe('decidePreflight', () => {
  it.each<[string, KvsRollout, StoreView['values'], Change | null, number]>([
    ['an idle store: takes the lock only', rollout(), { green_percentage: '0', blue_cidrs: '[]', green_cidrs: '[]' }, { puts: puts(['coalmine_lock', NEW_LOCK]), deletes: [] }, 0],
    ['a new store: writes every missing edge key with the lock', rollout(), {}, {
      puts: puts(['green_percentage', '0'], ['coalmine_lock', NEW_LOCK], ['blue_cidrs', '[]'], ['green_cidrs', '[]']),
      deletes: [],
    }, 0],
    ['pins in the request: written with the lock', rollout('green', { greenCidrs: ['203.0.113.10'] }), { green_percentage: '0', blue_cidrs: '[]', green_cidrs: '[]' }, {
      puts: puts(['coalmine_lock', NEW_LOCK], ['green_cidrs', '["203.0.113.10"]']),
      deletes: [],
    }, 0],
    ['pins not in the request: left as they are', rollout(), { green_percentage: '0', blue_cidrs: '["192.0.2.0/24"]', green_cidrs: '[]' }, { puts: puts(['coalmine_lock', NEW_LOCK]), deletes: [] }, 0],
    ['a retried Preflight that finds its own lock: nothing to write', rollout(), { green_percentage: '0', coalmine_lock: OURS, blue_cidrs: '[]', green_cidrs: '[]' }, null, 0],
    ['a retried Preflight after a shift it never made: starts from the store', rollout(), { green_percentage: '5', coalmine_lock: OURS, blue_cidrs: '[]', green_cidrs: '[]' }, null, 5],
    ['a blue canary starts from 100', rollout('blue'), { green_percentage: '100', blue_cidrs: '[]', green_cidrs: '[]' }, { puts: puts(['coalmine_lock', NEW_LOCK]), deletes: [] }, 100],
  ])('%s', (_, who, values, change, before) => {
    expect(decidePreflight(who, view(values), NEW_LOCK)).toMatchObject({ change, before });
  });

  it.each<[string, KvsRollout, StoreView, typeof PreflightFailed | typeof RolloutInProgress, string]>([
    ['a store not READY', rollout(), view({ green_percentage: '0' }, 'PROVISIONING'), PreflightFailed, 'is PROVISIONING, not READY'],
    ['another execution’s lock', rollout(), view({ green_percentage: '0', coalmine_lock: THEIRS }), RolloutInProgress, 'locked by execution exec-them (since 2024-05-30T08:00:00.000Z)'],
    ['an unreadable lock', rollout(), view({ green_percentage: '0', coalmine_lock: 'garbage' }), RolloutInProgress, 'locked by an unreadable lock'],
    ['a malformed percentage', rollout(), view({ green_percentage: '50.5' }), PreflightFailed, '"50.5", not a whole percentage'],
    ['a blue canary with the key missing', rollout('blue'), view({}), PreflightFailed, 'green_percentage is missing'],
    ['a green canary that already serves everyone', rollout(), view({ green_percentage: '100' }), PreflightFailed, '"stableAfterPromotion": "blue"'],
    ['a blue canary that already serves everyone', rollout('blue'), view({ green_percentage: '0' }), PreflightFailed, '"stableAfterPromotion": "green"'],
    ['a store mid-way without a lock', rollout(), view({ green_percentage: '30' }), RolloutInProgress, 'is mid-rollout: green_percentage is 30'],
  ])('refuses %s', (_, who, store, error, message) => {
    const decide = () => decidePreflight(who, store, NEW_LOCK);
    expect(decide).toThrow(error);
    expect(decide).toThrow(message);
  });
});

describe('decidePreflight: pins the edge cannot read, countries, viewer_cookie and the green pin bound', () => {
  const IDLE = { green_percentage: '0', blue_cidrs: '[]', green_cidrs: '[]' };

  it.each<[string, StoreView['values']]>([
    ['blue_cidrs', { ...IDLE, blue_cidrs: 'not json' }],
    ['green_cidrs', { ...IDLE, green_cidrs: '{"cidr":"192.0.2.0/24"}' }],
    ['blue_countries', { ...IDLE, blue_countries: '"DE"' }],
    ['green_countries', { ...IDLE, green_countries: 'NZ' }],
    ['green_countries', { ...IDLE, green_countries: '["NZ", 42]' }],
  ])('refuses a store whose %s the edge cannot parse, naming the key, and writes nothing', (key, values) => {
    const decide = () => decidePreflight(rollout(), view(values), NEW_LOCK);
    expect(decide).toThrow(PreflightFailed);
    expect(decide).toThrow(`${key} is ${JSON.stringify(values[key as keyof typeof values])}, which is not a JSON array`);
    expect(decide).toThrow('so the edge sends every viewer blue');
  });

  it('refuses a viewer_cookie the edge cannot read', () => {
    const decide = () => decidePreflight(rollout(), view({ ...IDLE, viewer_cookie: 'off' }), NEW_LOCK);
    expect(decide).toThrow(PreflightFailed);
    expect(decide).toThrow('viewer_cookie is "off", not "use" or "ignore"');
  });

  it('replaces an unreadable value the request gives anew, instead of refusing', () => {
    const who = rollout('green', { blueCidrs: ['192.0.2.0/24'], greenCountries: ['NZ'], viewerCookie: 'ignore' });
    const decision = decidePreflight(who, view({ ...IDLE, blue_cidrs: 'not json', green_countries: '[', viewer_cookie: 'x' }), NEW_LOCK);
    expect(decision.change?.puts).toEqual(
      puts(['coalmine_lock', NEW_LOCK], ['blue_cidrs', '["192.0.2.0/24"]'], ['green_countries', '["NZ"]'], ['viewer_cookie', 'ignore']),
    );
  });

  it('writes the country pins and viewer_cookie the request gives; leaves absent optional keys absent', () => {
    const decision = decidePreflight(rollout('green', { blueCountries: ['DE', 'AT'], greenCountries: ['NZ'] }), view({}), NEW_LOCK);
    expect(decision.change?.puts).toEqual(
      puts(
        ['green_percentage', '0'],
        ['coalmine_lock', NEW_LOCK],
        ['blue_cidrs', '[]'],
        ['green_cidrs', '[]'],
        ['blue_countries', '["DE","AT"]'],
        ['green_countries', '["NZ"]'],
      ),
    );
    expect(decision.pins).toEqual({ blue: 'IPv4 0 %, IPv6 0 % of the address space and countries DE AT', green: 'IPv4 0 %, IPv6 0 % of the address space and countries NZ' });
  });

  it('describes the pins the store keeps when the request gives none', () => {
    const values = { ...IDLE, green_cidrs: '["192.0.2.0/24","2001:db8:42::/48"]', blue_countries: '["DE","AT","CH","LI","LU","BE","NL"]' };
    expect(decidePreflight(rollout(), view(values), NEW_LOCK).pins).toEqual({
      blue: 'IPv4 0 %, IPv6 0 % of the address space and countries DE AT CH LI LU and 2 more',
      green: 'IPv4 6e-6 %, IPv6 3.6e-13 % of the address space and no countries',
    });
  });

  it.each<[string, KvsRollout, StoreView['values'], string]>([
    ['in the request', rollout('green', { greenCidrs: ['0.0.0.0/0', '::/0'] }), IDLE, 'kvs/327284aa-bcd5-499f-a3ff-26b9a9d31b58: the green pins (the canary\'s colour) cover IPv4 100 %, IPv6 100 %'],
    ['kept in the store', rollout(), { ...IDLE, green_cidrs: '["0.0.0.0/1"]' }, 'the green pins (the canary\'s colour) in green_cidrs (the request gives no greenCidrs, so they stay) cover IPv4 50 %, IPv6 0 %'],
  ])('refuses green pins above the bound %s', (_, who, values, message) => {
    const decide = () => decidePreflight(who, view(values), NEW_LOCK);
    expect(decide).toThrow(PreflightFailed);
    expect(decide).toThrow(message);
    expect(decide).toThrow('"override": {"allowLargeGreenPins": true, "reason": "..."}');
  });

  it('bounds the canary’s colour: blue pins for a blue canary, and not the green ones that keep viewers on the old version', () => {
    const blueIdle = { green_percentage: '100', blue_cidrs: '[]', green_cidrs: '[]' };
    const decide = () => decidePreflight(rollout('blue'), view({ ...blueIdle, blue_cidrs: '["0.0.0.0/0"]' }), NEW_LOCK);
    expect(decide).toThrow("the blue pins (the canary's colour) in blue_cidrs (the request gives no blueCidrs, so they stay) cover IPv4 100 %");
    expect(decidePreflight(rollout('blue', { greenCidrs: ['0.0.0.0/0'] }), view(blueIdle), NEW_LOCK).pins.green).toBe('IPv4 100 %, IPv6 0 % of the address space and no countries');
  });

  it('takes green pins above the bound with allowLargeGreenPins, and says what they cover', () => {
    const who = { ...rollout('green', { greenCidrs: ['0.0.0.0/0', '::/0'] }), allowLargeGreenPins: true };
    const decision = decidePreflight(who, view(IDLE), NEW_LOCK);
    expect(decision.change?.puts).toEqual(puts(['coalmine_lock', NEW_LOCK], ['green_cidrs', '["0.0.0.0/0","::/0"]']));
    expect(decision.pins.green).toBe('IPv4 100 %, IPv6 100 % of the address space and no countries');
  });

  it('does not bound blue pins: sending viewers to the stable colour is always safe', () => {
    expect(decidePreflight(rollout('green', { blueCidrs: ['0.0.0.0/0'] }), view(IDLE), NEW_LOCK).pins.blue).toBe('IPv4 100 %, IPv6 0 % of the address space and no countries');
  });
});

describe('decideShift', () => {
  it.each<[string, 'green' | 'blue', string, number, number, Change | null]>([
    ['moves the green canary forward', 'green', '5', 25, 5, { puts: puts(['green_percentage', '25']), deletes: [] }],
    ['writes 100 minus the share for a blue canary', 'blue', '95', 25, 5, { puts: puts(['green_percentage', '75']), deletes: [] }],
    ['does nothing when the store already has the weight', 'green', '25', 25, 5, null],
    ['takes the first step from 0', 'green', '0', 5, 0, { puts: puts(['green_percentage', '5']), deletes: [] }],
  ])('%s', (_, canary, green, percent, from, change) => {
    expect(decideShift(rollout(canary), view({ green_percentage: green, coalmine_lock: OURS }), percent, from)).toEqual(change);
  });

  it.each<[string, StoreView['values'], string]>([
    ['without our lock', { green_percentage: '5' }, 'no longer holds coalmine_lock; someone removed it'],
    ['under another execution’s lock', { green_percentage: '5', coalmine_lock: THEIRS }, 'held by execution exec-them'],
    ['from a weight it did not leave (a rollback from outside)', { green_percentage: '0', coalmine_lock: OURS }, 'has 0 %, not the 5 %'],
    ['on a malformed percentage', { green_percentage: 'abc', coalmine_lock: OURS }, '"abc", not a whole percentage'],
    ['on a missing percentage', { coalmine_lock: OURS }, 'green_percentage is missing'],
  ])('refuses %s with TrafficConflict', (_, values, message) => {
    const decide = () => decideShift(rollout(), view(values), 25, 5);
    expect(decide).toThrow(TrafficConflict);
    expect(decide).toThrow(message);
  });
});

describe('decidePromote', () => {
  it.each<[string, 'green' | 'blue', StoreView['values'], number, Change | null]>([
    ['puts 100, empties the blue pins, releases the lock', 'green', { green_percentage: '50', coalmine_lock: OURS, blue_cidrs: '["192.0.2.0/24"]' }, 50, {
      puts: puts(['green_percentage', '100'], ['blue_cidrs', '[]']),
      deletes: LOCK_DELETE,
    }],
    ['leaves empty pins unwritten', 'green', { green_percentage: '50', coalmine_lock: OURS, blue_cidrs: '[]' }, 50, { puts: puts(['green_percentage', '100']), deletes: LOCK_DELETE }],
    ['promotes a blue canary to 0 and empties the green pins', 'blue', { green_percentage: '50', coalmine_lock: OURS, green_cidrs: '["203.0.113.10"]' }, 50, {
      puts: puts(['green_percentage', '0'], ['green_cidrs', '[]']),
      deletes: LOCK_DELETE,
    }],
    ['promotes straight from 0 (no canary step)', 'green', { green_percentage: '0', coalmine_lock: OURS, blue_cidrs: '[]' }, 0, { puts: puts(['green_percentage', '100']), deletes: LOCK_DELETE }],
    ['empties the blue country pins too', 'green', { green_percentage: '50', coalmine_lock: OURS, blue_cidrs: '[]', blue_countries: '["DE"]', green_countries: '["NZ"]' }, 50, {
      puts: puts(['green_percentage', '100'], ['blue_countries', '[]']),
      deletes: LOCK_DELETE,
    }],
    ['is idempotent: 100 % and no lock writes nothing', 'green', { green_percentage: '100', blue_cidrs: '[]' }, 50, null],
    ['finishes a half-done promotion that holds 100 % and our lock', 'green', { green_percentage: '100', coalmine_lock: OURS, blue_cidrs: '[]' }, 50, { puts: puts(['green_percentage', '100']), deletes: LOCK_DELETE }],
  ])('%s', (_, canary, values, from, change) => {
    expect(decidePromote(rollout(canary), view(values), from)).toEqual(change);
  });

  it.each<[string, StoreView['values'], string]>([
    ['over a rollback pushed from outside', { green_percentage: '0', coalmine_lock: OURS }, 'has 0 %, not the 50 %'],
    ['without the lock', { green_percentage: '50' }, 'someone removed it'],
    ['under another execution’s lock', { green_percentage: '50', coalmine_lock: THEIRS }, 'held by execution exec-them'],
  ])('refuses %s', (_, values, message) => {
    const decide = () => decidePromote(rollout(), view(values), 50);
    expect(decide).toThrow(TrafficConflict);
    expect(decide).toThrow(message);
  });
});

describe('decideRollback', () => {
  it.each<[string, 'green' | 'blue', StoreView['values'], Change | null, boolean, string]>([
    ['ours: puts 0, empties the canary pins, releases the lock', 'green', { green_percentage: '25', coalmine_lock: OURS, green_cidrs: '["203.0.113.10"]' }, {
      puts: puts(['green_percentage', '0'], ['green_cidrs', '[]']),
      deletes: LOCK_DELETE,
    }, true, 'was 25 %; green_cidrs cleared); lock released'],
    ['ours: empties the canary’s country pins too, leaving the other colour’s', 'green', { green_percentage: '25', coalmine_lock: OURS, green_cidrs: '[]', green_countries: '["NZ"]', blue_countries: '["DE"]' }, {
      puts: puts(['green_percentage', '0'], ['green_countries', '[]']),
      deletes: LOCK_DELETE,
    }, true, 'was 25 %; green_countries cleared); lock released'],
    ['ours at 0 %: only releases the lock', 'green', { green_percentage: '0', coalmine_lock: OURS, green_cidrs: '[]' }, { puts: [], deletes: LOCK_DELETE }, false, 'lock released'],
    ['a blue canary goes back to 100 with the blue pins emptied', 'blue', { green_percentage: '75', coalmine_lock: OURS, blue_cidrs: '["192.0.2.0/24"]' }, {
      puts: puts(['green_percentage', '100'], ['blue_cidrs', '[]']),
      deletes: LOCK_DELETE,
    }, true, 'gives the blue canary 0 % again (green_percentage 100, was 25 %'],
    ['nobody’s lock with traffic on the canary: rolls back anyway', 'green', { green_percentage: '40', green_cidrs: '[]' }, { puts: puts(['green_percentage', '0']), deletes: [] }, true, 'there was no coalmine_lock'],
    ['an unreadable percentage under our lock: written back to 0', 'green', { green_percentage: 'x', coalmine_lock: OURS, green_cidrs: '[]' }, {
      puts: puts(['green_percentage', '0']),
      deletes: LOCK_DELETE,
    }, true, 'was an unreadable green_percentage "x"'],
    ['a second rollback: 0 % and no lock writes nothing', 'green', { green_percentage: '0', green_cidrs: '[]' }, null, false, 'already gives the green canary 0 %'],
    ['another execution’s lock: left alone', 'green', { green_percentage: '25', coalmine_lock: THEIRS }, null, false, 'locked by execution exec-them'],
    ['an unreadable lock: left alone', 'green', { green_percentage: '25', coalmine_lock: '{' }, null, false, 'locked by an unreadable lock'],
  ])('%s', (_, canary, values, change, changed, detail) => {
    const decision = decideRollback(rollout(canary), view(values));
    expect(decision.change).toEqual(change);
    expect(decision.outcome.changed).toBe(changed);
    expect(decision.outcome.detail).toContain(detail);
  });
});
