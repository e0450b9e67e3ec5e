/**
 * What every Lambda handler shares: a middy pipeline with Powertools structured logging. A handler's
 * body is a plain async function of its input; the pipeline adds the request context to every log line
 * and logs a failure once, by its error name, before Step Functions sees it.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { optionalEnv } from './config/env';
import { errorLogFields } from './errors';

// POWERTOOLS_SERVICE_NAME (set by serverless.yml) wins; local runs without it still log as coalmine.
export const logger = new Logger(optionalEnv('POWERTOOLS_SERVICE_NAME') !== undefined ? {} : { serviceName: 'coalmine' });

export type LambdaHandler<I, O> = (event: I, context: Context) => Promise<O>;

export interface HandlerOptions {
  /**
   * false: never log the invocation's event, whatever POWERTOOLS_LOGGER_LOG_EVENT says (an operator may turn
   * it on to debug). For a function whose event holds a credential: announceGate's holds a gate's task token.
   */
  readonly logEvent?: false;
}

export function lambdaHandler<I, O>(body: (input: I) => Promise<O>, options: HandlerOptions = {}): LambdaHandler<I, O> {
  const logFailure = (request: middy.Request): void => {
    logger.error('failed', errorLogFields(request.error));
  };
  return middy<I, O>(async (event: I) => body(event))
    .use(injectLambdaContext(logger, { resetKeys: true, ...options }))
    .use({ onError: logFailure }) as unknown as LambdaHandler<I, O>;
}
