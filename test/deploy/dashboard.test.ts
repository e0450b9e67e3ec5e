/**
 * The dashboard names only what the code emits: every metric its queries read is in shared/telemetry's
 * catalogue, and every SCHEMA(...) is a dimension set that some record is published under (Powertools adds
 * `service` to each). A query over a name or set nobody writes would draw an empty widget forever.
 */
import { dashboardBody } from '../../scripts/dashboard.cjs';
import { METRICS } from '../../shared/telemetry/records';

const body = JSON.parse(dashboardBody('coalmine-test')) as { widgets: Array<{ properties: { title: string; metrics: Array<Array<{ expression: string }>> } }> };
const queries = body.widgets.flatMap((w) => w.properties.metrics.map(([q]) => q!.expression));

/** The dimension sets records.ts publishes under, each with Powertools' service, sorted. */
const PUBLISHED_SETS = [[], ['Rollout', 'TargetType'], ['Check', 'Rollout', 'TargetType'], ['Hook', 'Rollout', 'TargetType'], ['Error']].map((set) => ['service', ...set].sort().join(','));

describe('the dashboard body (scripts/dashboard.cjs)', () => {
  it('queries only metrics the code emits, and every metric the fleet widgets need', () => {
    const named = queries.map((q) => /^SELECT (?:SUM|AVG|MAX|MIN|COUNT)\((\w+)\)/.exec(q)?.[1]);
    const emitted = Object.values(METRICS).map((m) => m.name);
    for (const name of named) expect(emitted).toContain(name);
    expect(new Set(named)).toEqual(new Set(emitted));
  });

  it('reads each metric under a dimension set the records are published under, on the given service', () => {
    for (const query of queries) {
      const schema = /FROM SCHEMA\("Coalmine", ([^)]*)\)/.exec(query)?.[1];
      expect(schema).toBeDefined();
      expect(PUBLISHED_SETS).toContain(schema!.split(', ').sort().join(','));
      expect(query).toContain("WHERE service = 'coalmine-test'");
    }
  });
});
