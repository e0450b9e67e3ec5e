import { lambdaHandler } from '../shared/handler';
import { promote } from '../shared/tasks/end';

export const handler = lambdaHandler(promote);
