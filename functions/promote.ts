import { lambdaHandler } from '../shared/handler';
import { promote } from '../shared/tasks';

export const handler = lambdaHandler(promote);
