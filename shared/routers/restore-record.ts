/**
 * The record a restore in the rollback window (docs/rollback-window.md) writes with its one write: who put
 * the previous version back, why, when, and after which rollout. It lives on the target, in the same
 * compare-and-swap write as the traffic (a Lambda alias's Description, the KVS key `coalmine_restore`), so
 * that it cannot be lost apart from the restore, and `coalmine status` reads it back. Pure.
 */

export interface RestoreRecord {
  /** The execution whose promotion was undone. */
  readonly executionName: string;
  /** The version or colour the target is back on, as the router names it ("version 41", "blue"). */
  readonly restored: string;
  /** The person (shared/actions/requester.ts describeRequester). */
  readonly by: string;
  readonly reason?: string;
  /** ISO 8601. */
  readonly at: string;
}

/** Lambda allows 256 characters in an alias's description, the tighter of the two stores. */
export const MAX_RECORD_LENGTH = 256;

const PREFIX = 'coalmine restored';
const RECORD = /^coalmine restored (.+?) after (\S+) at (\S+) for (.+?)(?:: (.*))?$/s;

/** "coalmine restored version 41 after checkout-live-42 at 2026-…Z for alice (U0ALICE123): p99 doubled", cut to MAX_RECORD_LENGTH. */
export function formatRestoreRecord(record: RestoreRecord): string {
  const head = `${PREFIX} ${record.restored} after ${record.executionName} at ${record.at} for ${record.by.replace(/: /g, ', ')}`;
  const text = record.reason !== undefined && record.reason.trim() !== '' ? `${head}: ${record.reason.trim()}` : head;
  return text.length <= MAX_RECORD_LENGTH ? text : `${text.slice(0, MAX_RECORD_LENGTH - 1)}…`;
}

/** The record a text holds, or undefined when it is not one (a person's own alias description). */
export function parseRestoreRecord(text: string | undefined): RestoreRecord | undefined {
  const match = text === undefined ? null : RECORD.exec(text);
  if (match === null) return undefined;
  const [, restored = '', executionName = '', at = '', by = '', reason] = match;
  return { restored, executionName, at, by, ...(reason !== undefined ? { reason } : {}) };
}
