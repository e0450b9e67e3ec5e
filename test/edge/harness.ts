/**
 * The test harness for edge/x-deployment.js. The runtime stand-in (a node:vm context with an injected
 * `cf`, the viewer-request event builder) lives in sim/edge-runtime.ts, because the simulator routes its
 * synthetic viewers through the same function; this file adds what only tests need.
 */
import { createKvs, type EdgeKvs } from '../../sim/edge-runtime';

export {
  createKvs,
  EDGE_FUNCTION_PATH,
  loadEdgeFunction,
  readEdgeArtefact,
  readEdgeSource,
  stampedColour,
  viewerRequest,
  type EdgeHandler,
  type KvsFormat,
  type ValueMap,
  type ViewerRequest,
  type ViewerRequestEvent,
} from '../../sim/edge-runtime';

/** The in-memory store the tests hand the function. */
export type FakeKvs = EdgeKvs;

/** The store coalmine's rollout writes: lists become JSON text, the percentage its decimal string. */
export function rolloutStore(
  state: { greenPercentage?: number | string; blueCidrs?: unknown; greenCidrs?: unknown },
  options: { recordReads?: boolean } = {},
): FakeKvs {
  const values: Record<string, string> = {};
  if (state.greenPercentage !== undefined) values.green_percentage = String(state.greenPercentage);
  if (state.blueCidrs !== undefined) values.blue_cidrs = typeof state.blueCidrs === 'string' ? state.blueCidrs : JSON.stringify(state.blueCidrs);
  if (state.greenCidrs !== undefined) values.green_cidrs = typeof state.greenCidrs === 'string' ? state.greenCidrs : JSON.stringify(state.greenCidrs);
  return createKvs(values, options);
}

