/**
 * The one wording of a duration wherever a person reads one (Slack, the CLI, the judges' reasons):
 * "412 ms", "4.5 s", "4 min 12 s", "1 h 5 min", "2 d 3 h". Two units at most, enough to read at a glance.
 */
const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['d', 86_400],
  ['h', 3_600],
  ['min', 60],
  ['s', 1],
];

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'an unknown time';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${Math.round(seconds * 10) / 10} s`;
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [unit, size] of UNITS) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || parts.length > 0) parts.push(`${count} ${unit}`);
    if (parts.length === 2) break;
  }
  // "1 h 0 min" reads worse than "1 h".
  return parts.filter((p, i) => i === 0 || !p.startsWith('0 ')).join(' ');
}
