import { lambdaHandler } from '../shared/handler';
import { preflight } from '../shared/tasks';

export const handler = lambdaHandler(preflight);
