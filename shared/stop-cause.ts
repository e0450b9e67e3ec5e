/**
 * A StopExecution cause carries two things: a sentence for people (who, why, what was restored, how fast)
 * and the same facts as fields for code (the notifier names the alarm and the person from them). The cause
 * is the only text a stop leaves on the execution and on its status-change event, so the fields ride on
 * its last line, `coalmine-facts: {json}`, and readers take the fields from there instead of parsing the
 * sentence. Pure.
 */
import type { Requester } from './actions/requester';

export interface StopFacts {
  /** The alarm whose state change stopped the execution, exactly as CloudWatch names it (spaces and all). */
  readonly alarm?: string;
  /** The person who asked for the stop. */
  readonly requester?: Requester;
  /** From the alarm's state change or the person's command to a verified 0 %. */
  readonly rollbackLatencyMs?: number;
}

const FACTS_PREFIX = '\ncoalmine-facts: ';

/** The cause to stop an execution with: the sentence, then the facts on their own line. */
export function stopCause(sentence: string, facts: StopFacts): string {
  return `${sentence}${FACTS_PREFIX}${JSON.stringify(facts)}`;
}

/** A cause split back into its sentence and facts; a cause written by anything else is all sentence, no facts. */
export function readStopCause(cause: string): { readonly sentence: string; readonly facts: StopFacts } {
  const at = cause.lastIndexOf(FACTS_PREFIX);
  if (at < 0) return { sentence: cause, facts: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(cause.slice(at + FACTS_PREFIX.length));
  } catch {
    return { sentence: cause, facts: {} };
  }
  if (typeof parsed !== 'object' || parsed === null) return { sentence: cause, facts: {} };
  return { sentence: cause.slice(0, at), facts: factsOf(parsed as Record<string, unknown>) };
}

function factsOf(raw: Record<string, unknown>): StopFacts {
  const requester = requesterOf(raw.requester);
  return {
    ...(typeof raw.alarm === 'string' && raw.alarm !== '' ? { alarm: raw.alarm } : {}),
    ...(requester !== undefined ? { requester } : {}),
    ...(typeof raw.rollbackLatencyMs === 'number' && Number.isFinite(raw.rollbackLatencyMs) && raw.rollbackLatencyMs >= 0
      ? { rollbackLatencyMs: raw.rollbackLatencyMs }
      : {}),
  };
}

function requesterOf(raw: unknown): Requester | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const optional = (key: string) => (typeof r[key] === 'string' ? { [key]: r[key] as string } : {});
  if (r.kind === 'slack' && typeof r.userId === 'string') return { kind: 'slack', userId: r.userId, ...optional('userName'), ...optional('channelId') };
  if (r.kind === 'iam' && typeof r.arn === 'string') return { kind: 'iam', arn: r.arn, ...optional('account'), ...optional('userId') };
  return undefined;
}
