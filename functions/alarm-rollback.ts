import { rollBackOnAlarm } from '../shared/alarms/rollback-on-alarm';
import { lambdaHandler } from '../shared/handler';

/** EventBridge: CloudWatch Alarm State Change → roll back every running rollout that watches the alarm. */
export const handler = lambdaHandler((event: unknown) => rollBackOnAlarm(event));
