import { handleSlackEvent } from '../shared/slack/command-handler';
import { lambdaHandler } from '../shared/handler';

/** HTTP API (POST /slack/commands, /slack/interactions) → verify, authorize, act; also its own asynchronous hand-overs. */
export const handler = lambdaHandler((event: unknown) => handleSlackEvent(event));
