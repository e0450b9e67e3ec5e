import { lambdaHandler } from '../shared/handler';
import { rollBack } from '../shared/tasks/end';

export const handler = lambdaHandler(rollBack);
