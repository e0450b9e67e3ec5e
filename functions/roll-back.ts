import { lambdaHandler } from '../shared/handler';
import { rollBack } from '../shared/tasks';

export const handler = lambdaHandler(rollBack);
