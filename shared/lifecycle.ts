/**
 * The lifecycle events the state machine puts on EventBridge (source "coalmine"): the single source for
 * notifications and audit. docs/events.md describes each detail; the definition test checks the ASL
 * announces exactly these.
 */
export const LIFECYCLE_SOURCE = 'coalmine';

export const LIFECYCLE_DETAIL_TYPES = [
  'Rollout Started',
  'Rollout Step Analyzed',
  'Rollout Promoted',
  'Rollout Rolled Back',
  'Rollout Failed',
] as const;

export type LifecycleDetailType = (typeof LIFECYCLE_DETAIL_TYPES)[number];
