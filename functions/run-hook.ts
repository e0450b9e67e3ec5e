import { lambdaHandler } from '../shared/handler';
import { runHook, type RunHookInput } from '../shared/hooks/run-hook';

export const handler = lambdaHandler((input: RunHookInput) => runHook(input));
