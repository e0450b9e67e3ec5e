import { lambdaHandler } from '../shared/handler';
import { analyzeCanary } from '../shared/tasks';

export const handler = lambdaHandler(analyzeCanary);
