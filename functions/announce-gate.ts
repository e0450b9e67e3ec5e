import { lambdaHandler } from '../shared/handler';
import { announceGate } from '../shared/gates/announce';

// Its event holds the gate's task token: never logged, even with POWERTOOLS_LOGGER_LOG_EVENT on.
export const handler = lambdaHandler(announceGate, { logEvent: false });
