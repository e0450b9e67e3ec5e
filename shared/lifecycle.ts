/**
 * The lifecycle events the state machine puts on EventBridge (source "coalmine"): the single source for
 * notifications and audit. docs/events.md describes each detail; the definition test checks the ASL
 * announces exactly these.
 */
export const LIFECYCLE_SOURCE = 'coalmine';

export const LIFECYCLE_DETAIL_TYPES = [
  'Rollout Started',
  'Rollout Step Analyzed',
  'Rollout Awaiting Approval',
  'Rollout Gate Passed',
  'Rollout Promoted',
  'Rollout Rolled Back',
  'Rollout Failed',
] as const;

export type LifecycleDetailType = (typeof LIFECYCLE_DETAIL_TYPES)[number];

/** The one lifecycle event a Lambda puts rather than the ASL: announceGate, which drops the gate's task token on the way. */
export const AWAITING_APPROVAL: LifecycleDetailType = 'Rollout Awaiting Approval';
