/**
 * A minimal coalmine hook (docs/post-promotion.md, "Hooks"): invokes the new version directly, by the
 * qualified ARN coalmine sends, with a test event, and answers passed or failed. Deploy it as a function
 * whose name matches the stack's hookFunctionPattern (e.g. coalmine-hook-smoke), with permission to invoke
 * the target (lambda:InvokeFunction on the target function's ARN and its versions).
 *
 * SMOKE_EVENT (optional): the JSON event to send; default {"path": "/health"}.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

interface HookPayload {
  readonly hook: 'preTraffic' | 'onStep' | 'postTraffic';
  readonly newVersion: { readonly qualifiedArn?: string; readonly colour?: string };
}

type HookAnswer = { status: 'passed'; reason: string } | { status: 'failed'; reason: string };

const lambda = new LambdaClient({});

export async function handler(payload: HookPayload): Promise<HookAnswer> {
  const arn = payload.newVersion.qualifiedArn;
  // A KVS target's new version is a colour behind the edge: call it through your own URL instead.
  if (arn === undefined) return { status: 'failed', reason: 'this smoke test calls Lambda versions only; the target is not a Lambda alias' };
  const event = process.env.SMOKE_EVENT ?? '{"path": "/health"}';
  const started = Date.now();
  const result = await lambda.send(new InvokeCommand({ FunctionName: arn, Payload: new TextEncoder().encode(event) }));
  const ms = Date.now() - started;
  const body = result.Payload === undefined ? '' : new TextDecoder().decode(result.Payload);
  if (result.FunctionError !== undefined) return { status: 'failed', reason: `${arn} raised an error (${result.FunctionError}): ${body.slice(0, 300)}` };
  const statusCode = (JSON.parse(body || 'null') as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 500) return { status: 'failed', reason: `${arn} answered ${statusCode} in ${ms} ms` };
  return { status: 'passed', reason: `${arn} answered ${typeof statusCode === 'number' ? statusCode : 'without an error'} in ${ms} ms` };
}
