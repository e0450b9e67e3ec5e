import { lambdaHandler } from '../shared/handler';
import { verifyTraffic } from '../shared/tasks/traffic';

export const handler = lambdaHandler(verifyTraffic);
