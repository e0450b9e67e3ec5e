import { lambdaHandler } from '../shared/handler';
import { shiftTraffic } from '../shared/tasks';

export const handler = lambdaHandler(shiftTraffic);
