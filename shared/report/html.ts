/**
 * A rollout report: one self-contained HTML page (inline CSS and SVG, no script, no fetch; a
 * Content-Security-Policy of `default-src 'none'` makes any network reach a browser error) that reads in
 * light and dark and prints. Pure: ReportData in, the page out.
 */
import { USD_PER_STATE_TRANSITION } from '../config/limits';
import { formatDuration } from '../duration';
import { escapeHtml } from './escape';
import type { ReportData } from './read';
import type { Chart } from './series';
import { chartSvg, type Marker, type TimeAxis } from './svg';
import type { AnalysisMark, TimelineEnd } from './timeline';

const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #5b6470; --grid: #d9dde3;
  --canary: #d9480f; --baseline: #1c7ed6; --weight: #2b8a3e; --pass: #2b8a3e; --fail: #e03131; --inconclusive: #f08c00; --alarm: #e03131; --ok: #868e96; }
@media (prefers-color-scheme: dark) { :root { --fg: #e9ecef; --bg: #16191d; --muted: #a0a8b3; --grid: #343a40;
  --canary: #ff8787; --baseline: #74c0fc; --weight: #8ce99a; --pass: #8ce99a; --fail: #ff6b6b; --inconclusive: #ffd43b; --alarm: #ff6b6b; --ok: #adb5bd; } }
body { font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 2rem auto; max-width: 1000px; padding: 0 1rem; }
h1 { font-size: 1.4rem; margin-bottom: 0.2rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
.muted { color: var(--muted); } .outcome { font-weight: 600; }
.outcome.promoted { color: var(--pass); } .outcome.rolled-back, .outcome.failed, .outcome.stopped, .outcome.promotion-requested { color: var(--fail); }
svg.chart { width: 100%; height: auto; display: block; }
.grid { stroke: var(--grid); stroke-width: 1; } .tick { fill: var(--muted); font-size: 11px; }
.line { fill: none; stroke-width: 2; } .line.canary { stroke: var(--canary); } .line.baseline { stroke: var(--baseline); }
.line.weight { stroke: var(--weight); stroke-width: 2.5; }
.band.gate { fill: var(--inconclusive); fill-opacity: 0.15; }
.marker { stroke-width: 2; } circle.marker { stroke: var(--bg); }
circle.pass { fill: var(--pass); } circle.fail { fill: var(--fail); } circle.inconclusive { fill: var(--inconclusive); }
circle.promote { fill: var(--pass); } circle.rollback { fill: var(--fail); }
line.pass { stroke: var(--pass); stroke-dasharray: 4 3; } line.fail { stroke: var(--fail); stroke-dasharray: 4 3; }
line.inconclusive { stroke: var(--inconclusive); stroke-dasharray: 4 3; } line.alarm { stroke: var(--alarm); } line.ok { stroke: var(--ok); }
.legend span { margin-right: 1rem; } .swatch { display: inline-block; width: 0.8rem; height: 0.8rem; border-radius: 2px; margin-right: 0.3rem; vertical-align: -1px; }
table { border-collapse: collapse; width: 100%; margin-top: 0.5rem; } th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid var(--grid); vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { white-space: pre-wrap; font-size: 12px; margin: 0.3rem 0 0; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } svg.chart, table { break-inside: avoid; } details { display: block; } }
`;

/** How the page words each ending (story.ts's outcomes); the class is the outcome itself. */
const OUTCOME_WORDS: Readonly<Record<TimelineEnd['outcome'], string>> = {
  promoted: 'promoted',
  'rolled-back': 'rolled back',
  refused: 'refused by Preflight',
  failed: 'failed',
  stopped: 'stopped',
  'promotion-requested': 'promotion requested, not at 100 %',
  running: 'running',
};

const outcomeSpan = (end: TimelineEnd): string => `<span class="outcome ${end.outcome}">${OUTCOME_WORDS[end.outcome]}</span>`;

const swatch = (cssVar: string, label: string) => `<span><i class="swatch" style="background: var(${cssVar})"></i>${label}</span>`;

/** Minutes after the rollout started, for tables. */
const sinceStart = (data: ReportData, atMs: number) => formatDuration(Math.max(0, (atMs - data.timeline.startedAtMs) / 1000));

function lookTitle(look: AnalysisMark, data: ReportData): string {
  const checks = look.checks.map((c) => `${c.judge}: ${c.verdict} — ${c.reason}`);
  return [`Step ${look.step} at ${look.weight} %, ${sinceStart(data, look.atMs)} in: ${look.verdict} → ${look.action}`, ...checks].join('\n');
}

function alarmMarkers(data: ReportData): Marker[] {
  return data.alarms.map((a) => ({ atMs: a.atMs, kind: a.to === 'ALARM' ? 'alarm' : 'ok', title: `${a.name}: ${a.from} → ${a.to}` }));
}

function weightChart(data: ReportData, axis: TimeAxis): string {
  const { timeline } = data;
  const points = [{ atMs: axis.fromMs, value: 0 }, ...timeline.weights.map((w) => ({ atMs: w.atMs, value: w.weight }))];
  const looks: Marker[] = timeline.analyses.map((look) => ({ atMs: look.atMs, kind: look.verdict, level: look.weight / 100, title: lookTitle(look, data) }));
  const ends: Marker[] = timeline.weights
    .filter((w) => w.by !== 'shift')
    .map((w) => ({ atMs: w.atMs, kind: w.by, level: w.weight / 100, title: w.by === 'promote' ? 'Promoted: 100 % new' : `Rolled back: 0 % new${timeline.end.error === null ? '' : ` (${timeline.end.error})`}` }));
  const bands = timeline.gates.map((g) => ({
    fromMs: g.fromMs,
    toMs: g.toMs ?? axis.toMs,
    kind: 'gate',
    title: `${g.kind === 'hold' ? 'Hold' : 'Approval gate'} after step ${g.step}: ${g.toMs === null ? 'still waiting' : g.by !== null ? `approved by ${g.by} after ${formatDuration((g.toMs - g.fromMs) / 1000)}` : `closed after ${formatDuration((g.toMs - g.fromMs) / 1000)}`}`,
  }));
  return chartSvg({ id: 'chart-weight', title: 'Canary weight', unit: '%', axis, maxValue: 100, lines: [{ kind: 'weight', points, step: true }], markers: [...alarmMarkers(data), ...looks, ...ends], bands });
}

function metricChart(chart: Chart, index: number, data: ReportData, axis: TimeAxis): string {
  const looks: Marker[] = data.timeline.analyses.map((look) => ({ atMs: look.atMs, kind: look.verdict, title: lookTitle(look, data) }));
  const svg = chartSvg({
    id: `chart-metric-${index}`,
    title: chart.title,
    unit: chart.unit,
    axis,
    lines: [
      { kind: 'baseline', points: chart.baseline },
      { kind: 'canary', points: chart.canary },
    ],
    markers: [...alarmMarkers(data), ...looks],
  });
  return `<h2>${escapeHtml(chart.title)}</h2><p class="legend muted">${swatch('--canary', 'canary')}${swatch('--baseline', 'baseline')} per minute; dashed rules: the looks</p>${svg}`;
}

function planTable(data: ReportData): string {
  const rollout = data.timeline.rollout;
  if (rollout === null) return `<p class="muted">The plan could not be read: ${escapeHtml(data.timeline.unreadable ?? 'unknown')}.</p>`;
  const rows = rollout.plan.steps.map(
    (s) => `<tr><td class="num">${s.index + 1}</td><td class="num">${s.weight} %</td><td>${formatDuration(s.bakeSeconds)}</td><td>${s.approval === undefined ? '' : `approval, at most ${formatDuration(s.approval.timeoutSeconds)}`}</td></tr>`,
  );
  return `<table><thead><tr><th>Step</th><th>Weight</th><th>Bake</th><th>Gate</th></tr></thead><tbody>${rows.join('')}<tr><td class="num">${rollout.plan.steps.length + 1}</td><td class="num">100 %</td><td>promote</td><td></td></tr></tbody></table>`;
}

function looksTable(data: ReportData): string {
  if (data.timeline.analyses.length === 0) return '<p class="muted">No analysis ran.</p>';
  const rows = data.timeline.analyses.map((look, i) => {
    const checks = look.checks
      .map((c) => `<details><summary>${escapeHtml(c.judge)}: ${escapeHtml(c.verdict)}</summary>${escapeHtml(c.reason)}<pre>${escapeHtml(JSON.stringify(c.evidence, null, 2))}</pre></details>`)
      .join('');
    return `<tr id="look-${i + 1}" data-verdict="${escapeHtml(look.verdict)}"><td>${sinceStart(data, look.atMs)}</td><td class="num">${look.step}</td><td class="num">${look.weight} %</td><td>${escapeHtml(look.verdict)} → ${escapeHtml(look.action)}</td><td>${escapeHtml(look.reason)}${checks}</td></tr>`;
  });
  return `<table><thead><tr><th>At</th><th>Step</th><th>Weight</th><th>Verdict</th><th>Reason and evidence</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function alarmsTable(data: ReportData): string {
  const watched = data.timeline.rollout?.request.analysis.alarms ?? [];
  if (data.alarms.length === 0) return `<p class="muted">${watched.length === 0 ? 'The rollout watched no alarm.' : `No state change of ${watched.map(escapeHtml).join(', ')} in the window.`}</p>`;
  const rows = data.alarms.map((a) => `<tr><td>${a.atMs < data.timeline.startedAtMs ? 'before the start' : sinceStart(data, a.atMs)}</td><td>${escapeHtml(a.name)}</td><td>${escapeHtml(a.from)} → ${escapeHtml(a.to)}</td></tr>`);
  return `<table><thead><tr><th>At</th><th>Alarm</th><th>Change</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function trafficTable(data: ReportData): string {
  const rows = data.charts
    .filter((c) => c.totals !== undefined)
    .flatMap((c) =>
      (['canary', 'baseline'] as const).map((arm) => {
        const t = c.totals![arm];
        const rate = t.requests > 0 ? `${((100 * t.failures) / t.requests).toFixed(2)} %` : '–';
        return `<tr><td>${escapeHtml(c.title)}</td><td>${arm}</td><td class="num">${Math.round(t.requests).toLocaleString('en-US')}</td><td class="num">${Math.round(t.failures).toLocaleString('en-US')}</td><td class="num">${rate}</td></tr>`;
      }),
    );
  if (rows.length === 0) return '';
  return `<table><thead><tr><th>Check</th><th>Version</th><th>Requests</th><th>Failures</th><th>Rate</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function summaryTable(data: ReportData): string {
  const { timeline } = data;
  const cost = timeline.stateTransitions * USD_PER_STATE_TRANSITION;
  const rows = [
    ['Outcome', `${outcomeSpan(timeline.end)} (${timeline.end.status})`],
    ['Error', escapeHtml(timeline.end.error ?? '–')],
    ['Cause', escapeHtml(timeline.end.cause ?? '–')],
    ['Duration', formatDuration(Math.max(0, (timeline.end.atMs - timeline.startedAtMs) / 1000))],
    ['Verdicts', ['pass', 'fail', 'inconclusive'].map((v) => `${timeline.analyses.filter((a) => a.verdict === v).length} ${v}`).join(', ')],
    ['Gates', timeline.gates.length === 0 ? '–' : timeline.gates.map((g) => escapeHtml(`${g.kind} after step ${g.step}: ${g.toMs === null ? 'waiting' : `${formatDuration((g.toMs - g.fromMs) / 1000)}${g.by === null ? '' : `, approved by ${g.by}`}`}`)).join('; ')],
    ['The target now', data.targetNow === undefined ? '–' : 'weight' in data.targetNow ? `reads ${data.targetNow.weight} % on the new version` : `could not be read: ${escapeHtml(data.targetNow.unreadable)}`],
    ['State transitions', `${timeline.stateTransitions} (about $${cost.toFixed(6)})`],
  ];
  return `<table><tbody>${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</tbody></table>`;
}

/** The report page. */
export function renderReport(data: ReportData): string {
  const { timeline } = data;
  const axis: TimeAxis = { fromMs: data.fromMs, toMs: data.toMs, originMs: timeline.startedAtMs };
  const target = timeline.rollout?.request.target;
  const name = timeline.rollout?.name ?? timeline.executionName;
  const charts = data.charts.map((chart, i) => metricChart(chart, i, data, axis));
  const notCharted =
    data.notCharted.length === 0 ? '' : `<p class="muted">Judged from Prometheus, not charted here: ${data.notCharted.map(escapeHtml).join(', ')} (their looks and evidence are in the table below).</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>coalmine report: ${escapeHtml(name)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(name)}: ${outcomeSpan(timeline.end)}</h1>
<p class="muted">Execution ${escapeHtml(timeline.executionName)}${target === undefined ? '' : `, target ${escapeHtml(JSON.stringify(target))}`}; started ${new Date(timeline.startedAtMs).toISOString()}. Times are from the start.</p>
<h2>Canary weight</h2>
<p class="legend muted">${swatch('--weight', 'weight')}${swatch('--pass', 'pass')}${swatch('--inconclusive', 'inconclusive')}${swatch('--fail', 'fail / rollback')}${swatch('--alarm', 'alarm to ALARM')}; shaded: a wait at a gate; hover a look for its evidence</p>
${weightChart(data, axis)}
${charts.join('\n')}
${notCharted}
<h2>Summary</h2>${summaryTable(data)}
<h2>Plan</h2>${planTable(data)}
<h2>Requests and failures per version</h2>${trafficTable(data) || '<p class="muted">No per-version series: the request has no CloudWatch metric check for this target.</p>'}
<h2>Analyses</h2>${looksTable(data)}
<h2>Alarm state changes</h2>${alarmsTable(data)}
</body></html>
`;
}
