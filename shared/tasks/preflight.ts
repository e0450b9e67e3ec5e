/**
 * The Preflight task's body: validate and plan the request, check the target and judges. functions/
 * preflight.ts wraps it as a Lambda handler. One module per task (shared/tasks/), so that each function
 * bundles only what its task uses: only this one parses requests.
 */
import { parseRolloutRequest } from '../config/request';
import { preflightJudges } from '../judges/preflight';
import { planRollout } from '../plan';
import { routerKindFor } from '../routers/registry';
import type { RolloutState } from '../rollout';

export interface PreflightInput {
  readonly request: unknown;
  readonly executionName: string;
  readonly startedAt: string;
}

/** Validates and plans the request, then checks the target and judges. Moves no traffic; a target with a rollout lock (KVS) takes it here. */
export async function preflight(input: PreflightInput): Promise<RolloutState> {
  const request = parseRolloutRequest(input.request);
  const kind = routerKindFor(request.target);
  const plan = planRollout(request, { observable: kind.observable });
  const alarmsAlreadyFiring = request.override?.alarmsAlreadyFiring === true;
  await preflightJudges(request.analysis, request.target, { alarmsAlreadyFiring });
  const baseline = await kind.preflight(request.target, {
    executionName: input.executionName,
    allowLargeGreenPins: request.override?.allowLargeGreenPins === true,
  });
  return {
    rollout: {
      name: request.name ?? kind.describe(request.target),
      request,
      plan,
      baseline,
      executionName: input.executionName,
      startedAt: input.startedAt,
    },
    progress: { stepIndex: 0, extraBakes: 0, extraSeconds: 0, weight: 0, bakeSeconds: 0, lookSeconds: 0, shiftedAt: null, shifts: [] },
    // `look` is there from the start: the AnalyzeCanary state passes $.analysis.look on, and a missing path fails the execution.
    analysis: { memory: {}, look: null },
  };
}
