import { lambdaHandler } from '../shared/handler';
import { announceGate } from '../shared/gates/announce';

export const handler = lambdaHandler(announceGate);
