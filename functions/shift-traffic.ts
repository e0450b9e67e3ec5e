import { lambdaHandler } from '../shared/handler';
import { shiftTraffic } from '../shared/tasks/traffic';

export const handler = lambdaHandler(shiftTraffic);
