/**
 * The CloudWatch dashboard's body, read by serverless.yml at `serverless package` time:
 *   ${file(scripts/dashboard.cjs):body}     the DashboardBody JSON (under !Sub, for the region)
 *   ${file(scripts/dashboard.cjs):enabled}  the `dashboard` parameter, as "true" or "false"
 *
 * Every widget is a CloudWatch Metrics Insights query over the metrics the functions publish as EMF
 * (shared/telemetry/records.ts names them; test/deploy/dashboard.test.ts checks that every metric and
 * dimension set named here is one the code emits). The `service` dimension is the stack's
 * POWERTOOLS_SERVICE_NAME, so two stages in one account keep their own numbers.
 */

/** A Metrics Insights query of `statistic(metric)` over one dimension set of this stack's service. */
function query(statistic, metric, dimensions, service, groupBy = []) {
  const schema = ['"Coalmine"', 'service', ...dimensions].join(', ');
  const group = groupBy.length === 0 ? '' : ` GROUP BY ${groupBy.join(', ')}`;
  return `SELECT ${statistic}(${metric}) FROM SCHEMA(${schema}) WHERE service = '${service}'${group}`;
}

function widget(title, queries, { x, y, width = 12, height = 6, stat = 'Sum', view = 'timeSeries' }) {
  return {
    type: 'metric',
    x,
    y,
    width,
    height,
    properties: {
      title,
      region: '${AWS::Region}',
      view,
      stat,
      period: 300,
      metrics: queries.map(([label, expression], i) => [{ id: `q${i + 1}`, label, expression }]),
    },
  };
}

/** The widgets, top to bottom: the fleet first, then each rollout's canary against its baseline. */
function widgets(service) {
  const perRollout = ['Rollout', 'TargetType'];
  return [
    widget('Rollouts in flight: canary weight of each (%)', [['', query('MAX', 'CanaryWeight', perRollout, service, ['Rollout'])]], { x: 0, y: 0, stat: 'Maximum' }),
    widget(
      'Ends: promoted, and rolled back by cause',
      [
        ['promoted', query('SUM', 'RolloutPromoted', [], service)],
        ['', query('SUM', 'RolloutRolledBack', ['Error'], service, ['Error'])],
      ],
      { x: 12, y: 0 },
    ),
    widget(
      'Verdicts of every look',
      [
        ['pass', query('SUM', 'VerdictPass', [], service)],
        ['fail', query('SUM', 'VerdictFail', [], service)],
        ['inconclusive', query('SUM', 'VerdictInconclusive', [], service)],
      ],
      { x: 0, y: 6, view: 'bar' },
    ),
    widget(
      'Rollback latency: alarm or command to a verified 0 % (ms)',
      [
        ['max', query('MAX', 'RollbackLatency', [], service)],
        ['average', query('AVG', 'RollbackLatency', [], service)],
      ],
      { x: 12, y: 6, stat: 'Maximum' },
    ),
    widget(
      'Canary against baseline: failure rate per rollout and check (%)',
      [
        ['', query('AVG', 'CanaryFailureRate', ['Check', ...perRollout], service, ['Rollout', 'Check'])],
        ['', query('AVG', 'BaselineFailureRate', ['Check', ...perRollout], service, ['Rollout', 'Check'])],
      ],
      { x: 0, y: 12, width: 24, stat: 'Average' },
    ),
    widget('Requests still needed by an inconclusive look', [['', query('MAX', 'RequestsStillNeeded', perRollout, service, ['Rollout'])]], { x: 0, y: 18, stat: 'Maximum' }),
    widget('Reconciler rollbacks (a path the state machine did not walk; should page)', [['reconciler', query('SUM', 'ReconcilerRollback', [], service)]], { x: 12, y: 18 }),
    widget(
      'Hooks: passed and failed per rollout and hook',
      [
        ['', query('SUM', 'HookPassed', ['Hook', ...perRollout], service, ['Rollout', 'Hook'])],
        ['', query('SUM', 'HookFailed', ['Hook', ...perRollout], service, ['Rollout', 'Hook'])],
      ],
      { x: 0, y: 24 },
    ),
    widget('Hooks: longest run per hook (ms)', [['', query('MAX', 'HookDuration', ['Hook', ...perRollout], service, ['Hook'])]], { x: 12, y: 24, stat: 'Maximum' }),
  ];
}

/** The body for the stack's service name; serverless.yml puts it under !Sub for the region. */
function dashboardBody(service) {
  return JSON.stringify({ widgets: widgets(service) });
}

async function body({ resolveVariable }) {
  return dashboardBody(`${await resolveVariable('self:service')}-${await resolveVariable('sls:stage')}`);
}

/** The `dashboard` parameter; anything but true or false is refused rather than read as "off". */
async function enabled({ resolveVariable }) {
  const value = String(await resolveVariable('param:dashboard')).trim().toLowerCase();
  if (value === 'true' || value === 'false') return value;
  throw new Error(`the dashboard parameter is "${value}"; give --param="dashboard=true" or --param="dashboard=false"`);
}

module.exports = { body, enabled, dashboardBody };
