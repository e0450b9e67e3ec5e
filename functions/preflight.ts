import { lambdaHandler } from '../shared/handler';
import { preflight } from '../shared/tasks/preflight';

export const handler = lambdaHandler(preflight);
