import { lambdaHandler } from '../shared/handler';
import { verifyTraffic } from '../shared/tasks';

export const handler = lambdaHandler(verifyTraffic);
