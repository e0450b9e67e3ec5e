import { lambdaHandler } from '../shared/handler';
import { reconcileEvent } from '../shared/reconcile/reconcile-event';

/** EventBridge: an execution ended ABORTED, TIMED_OUT or FAILED, or the sweep's schedule → return stranded targets to 0 %. */
export const handler = lambdaHandler((event: unknown) => reconcileEvent(event));
