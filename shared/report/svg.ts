/**
 * Hand-written SVG for the report's charts: a time axis shared by every chart, a step line for the weight,
 * lines for canary and baseline, and markers for the looks and the alarms. Pure string building, no
 * library: four chart shapes need a scale, a path and a few labels, fewer lines than any charting
 * package's configuration, and nothing that could reach for a network.
 *
 * Every element that a test or a reader looks for says what it is: `data-at-ms` on markers, the plot area's
 * box and time window on the <svg>, so a marker's place can be checked against its time.
 */
import { escapeHtml } from './escape';

export interface TimeAxis {
  readonly fromMs: number;
  readonly toMs: number;
  /** Where the tick labels count from (the rollout's start): earlier times read "-5 min". */
  readonly originMs: number;
}

export interface Marker {
  readonly atMs: number;
  /** A CSS class: pass, fail, inconclusive, alarm, ok, promote, rollback. */
  readonly kind: string;
  /** Shown on hover (an SVG <title>): the look's verdict and evidence. */
  readonly title: string;
  /** Where on the value axis (0–1 of the plot's height from the bottom); a vertical rule when absent. */
  readonly level?: number;
}

export interface Line {
  readonly kind: 'canary' | 'baseline' | 'weight';
  readonly points: ReadonlyArray<{ readonly atMs: number; readonly value: number }>;
  /** A step line holds each value until the next point (a weight), instead of joining points. */
  readonly step?: boolean;
}

/** A stretch of time shaded across the plot (a wait at a gate). */
export interface Band {
  readonly fromMs: number;
  readonly toMs: number;
  readonly kind: string;
  readonly title: string;
}

export interface ChartInput {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  readonly axis: TimeAxis;
  readonly lines: readonly Line[];
  readonly markers: readonly Marker[];
  readonly bands?: readonly Band[];
  /** The value axis's top; defaults to the largest value (at least 1). */
  readonly maxValue?: number;
}

const WIDTH = 960;
const HEIGHT = 220;
const PLOT = { left: 56, right: 28, top: 16, bottom: 28 } as const;
const PLOT_WIDTH = WIDTH - PLOT.left - PLOT.right;
const PLOT_HEIGHT = HEIGHT - PLOT.top - PLOT.bottom;

const fixed = (value: number): string => (Math.round(value * 10) / 10).toString();

/** The x of a time in the plot: the one mapping markers, lines and ticks share. */
export function xOf(axis: TimeAxis, atMs: number): number {
  const span = Math.max(1, axis.toMs - axis.fromMs);
  return PLOT.left + (Math.min(Math.max(atMs, axis.fromMs), axis.toMs) - axis.fromMs) * (PLOT_WIDTH / span);
}

function yOf(value: number, max: number): number {
  return PLOT.top + PLOT_HEIGHT - (Math.min(Math.max(value, 0), max) / max) * PLOT_HEIGHT;
}

function pathOf(line: Line, axis: TimeAxis, max: number): string {
  const parts: string[] = [];
  line.points.forEach((p, i) => {
    const x = fixed(xOf(axis, p.atMs));
    const y = fixed(yOf(p.value, max));
    if (i === 0) parts.push(`M${x},${y}`);
    else if (line.step === true) parts.push(`H${x}V${y}`);
    else parts.push(`L${x},${y}`);
  });
  if (line.step === true && line.points.length > 0) parts.push(`H${fixed(xOf(axis, axis.toMs))}`);
  return parts.join('');
}

function niceMax(values: readonly number[]): number {
  const top = Math.max(1, ...values);
  const magnitude = 10 ** Math.floor(Math.log10(top));
  for (const m of [1, 2, 2.5, 5, 10]) if (top <= m * magnitude) return m * magnitude;
  return 10 * magnitude;
}

/** Minutes from the axis's origin, at a spacing that gives 4 to 10 ticks. */
function timeTicks(axis: TimeAxis): string[] {
  const minutes = (axis.toMs - axis.fromMs) / 60_000;
  const every = [1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 1440].find((m) => minutes / m <= 10) ?? 2880;
  const ticks: string[] = [];
  const first = Math.ceil((axis.fromMs - axis.originMs) / 60_000 / every) * every;
  for (let m = first; axis.originMs + m * 60_000 <= axis.toMs; m += every) {
    const x = fixed(xOf(axis, axis.originMs + m * 60_000));
    ticks.push(`<line class="grid" x1="${x}" x2="${x}" y1="${PLOT.top}" y2="${PLOT.top + PLOT_HEIGHT}"/>`);
    ticks.push(`<text class="tick" x="${x}" y="${HEIGHT - 8}" text-anchor="middle">${m} min</text>`);
  }
  return ticks;
}

function valueTicks(max: number, unit: string): string[] {
  return [0, 0.5, 1].map((share) => {
    const y = fixed(yOf(max * share, max));
    return `<line class="grid" x1="${PLOT.left}" x2="${WIDTH - PLOT.right}" y1="${y}" y2="${y}"/><text class="tick" x="${PLOT.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fixed(max * share)}${unit === '' ? '' : ` ${escapeHtml(unit)}`}</text>`;
  });
}

function bandOf(band: Band, axis: TimeAxis): string {
  const x = xOf(axis, band.fromMs);
  const width = Math.max(1, xOf(axis, band.toMs) - x);
  return `<rect class="band ${escapeHtml(band.kind)}" data-from-ms="${band.fromMs}" data-to-ms="${band.toMs}" x="${fixed(x)}" y="${PLOT.top}" width="${fixed(width)}" height="${PLOT_HEIGHT}"><title>${escapeHtml(band.title)}</title></rect>`;
}

function markerOf(marker: Marker, axis: TimeAxis): string {
  const x = fixed(xOf(axis, marker.atMs));
  const title = `<title>${escapeHtml(marker.title)}</title>`;
  const data = `class="marker ${escapeHtml(marker.kind)}" data-at-ms="${marker.atMs}" data-kind="${escapeHtml(marker.kind)}"`;
  if (marker.level === undefined) {
    return `<line ${data} x1="${x}" x2="${x}" y1="${PLOT.top}" y2="${PLOT.top + PLOT_HEIGHT}">${title}</line>`;
  }
  const y = fixed(PLOT.top + PLOT_HEIGHT - marker.level * PLOT_HEIGHT);
  return `<circle ${data} cx="${x}" cy="${y}" r="6">${title}</circle>`;
}

/** One chart as an <svg> that scales to its container's width. */
export function chartSvg(chart: ChartInput): string {
  const max = chart.maxValue ?? niceMax(chart.lines.flatMap((l) => l.points.map((p) => p.value)));
  const lines = chart.lines.filter((l) => l.points.length > 0).map((l) => `<path class="line ${l.kind}" d="${pathOf(l, chart.axis, max)}"/>`);
  const markers = chart.markers.map((m) => markerOf({ ...m, ...(m.level === undefined ? {} : { level: Math.min(1, m.level) }) }, chart.axis));
  return [
    `<svg id="${escapeHtml(chart.id)}" class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(chart.title)}"`,
    ` data-from-ms="${chart.axis.fromMs}" data-to-ms="${chart.axis.toMs}" data-plot-left="${PLOT.left}" data-plot-width="${PLOT_WIDTH}" data-width="${WIDTH}">`,
    ...(chart.bands ?? []).map((b) => bandOf(b, chart.axis)),
    ...timeTicks(chart.axis),
    ...valueTicks(max, chart.unit),
    ...lines,
    ...markers,
    '</svg>',
  ].join('');
}
