import { lambdaHandler } from '../shared/handler';
import { analyzeCanary } from '../shared/tasks/analyze';

export const handler = lambdaHandler(analyzeCanary);
