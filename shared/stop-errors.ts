/**
 * The error names an execution ends with when something outside the state machine stops it. No Retry or
 * Catch sees a StopExecution, so these are not in errors.ts; notifications and Slack replies read them.
 * No AWS import: pure code may use them.
 */
export const ALARM_ROLLBACK_ERROR = 'AlarmRollback';
export const MANUAL_ROLLBACK_ERROR = 'ManualRollback';
export const MANUAL_PROMOTE_ERROR = 'ManualPromote';
/** Not a stop: what a restore in the rollback window (docs/rollback-window.md) is counted and logged as; the execution had ended promoted. */
export const RESTORED_AFTER_PROMOTION = 'RestoredAfterPromotion';
