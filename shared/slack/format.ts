/**
 * Small pieces of Block Kit and mrkdwn shared by the command answers and the notifications: blocks with
 * Slack's length limits applied, dates that each reader sees in their own time zone, verdicts (durations: shared/duration.ts).
 */
import type { SlackBlock, TextObject } from './responses';

/** Slack's limits: a section's text, a context's elements, a message's blocks. */
export const SECTION_TEXT_LIMIT = 3000;
export const CONTEXT_ELEMENTS_LIMIT = 10;
export const MESSAGE_BLOCKS_LIMIT = 50;

export function section(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, SECTION_TEXT_LIMIT) } };
}

/** A context line of the non-empty `texts`; none at all gives no block (Slack refuses an empty context). */
export function contextBlocks(...texts: string[]): SlackBlock[] {
  const elements: TextObject[] = texts
    .filter((t) => t.length > 0)
    .slice(0, CONTEXT_ELEMENTS_LIMIT)
    .map((text) => ({ type: 'mrkdwn', text: clip(text, SECTION_TEXT_LIMIT) }));
  return elements.length === 0 ? [] : [{ type: 'context', elements }];
}

/** Several lines as one section; empty lines are dropped. */
export function sectionOf(lines: readonly string[]): SlackBlock {
  return section(lines.filter((line) => line.length > 0).join('\n'));
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A time Slack shows in each reader's own zone ("Nov 22 at 10:05"); the ISO form is the fallback for
 * clients that cannot format dates. Undefined or unreadable input gives "an unknown time".
 */
export function slackDate(at: Date | string | undefined): string {
  const ms = at instanceof Date ? at.getTime() : at === undefined ? Number.NaN : Date.parse(at);
  if (!Number.isFinite(ms)) return 'an unknown time';
  const iso = new Date(ms).toISOString();
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} at {time}|${iso}>`;
}

export const VERDICT_EMOJI: Readonly<Record<string, string>> = {
  pass: ':white_check_mark:',
  fail: ':x:',
  inconclusive: ':hourglass_flowing_sand:',
};

export function verdictEmoji(verdict: string): string {
  return VERDICT_EMOJI[verdict] ?? ':grey_question:';
}

/** A number as people read it: at most `digits` decimals, no trailing zeros. */
export function formatNumber(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toFixed(digits)));
}

/** A fraction (0.0123) as a percentage ("1.23 %"). */
export function formatPercent(fraction: number, digits = 2): string {
  return `${formatNumber(fraction * 100, digits)} %`;
}
