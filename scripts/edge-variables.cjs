/**
 * serverless.yml's variables for the edge resources, read at `serverless package` time:
 *   ${file(scripts/edge-variables.cjs):enabled}  the `edge` parameter, as "true" or "false"
 *   ${file(scripts/edge-variables.cjs):code}     edge/x-deployment.js as deployed (scripts/edge-artefact.cjs)
 *
 * A JavaScript file because the framework's `file` source parses only YAML and JSON, and would load
 * edge/x-deployment.js itself as a CommonJS module (which it is not) instead of reading its text.
 */
const { edgeArtefact } = require('./edge-artefact.cjs');

/** The edge function's deployable code, comments and whitespace removed. */
function code() {
  return edgeArtefact();
}

/** The `edge` parameter; anything but true or false is refused rather than read as "off". */
async function enabled({ resolveVariable }) {
  const value = String(await resolveVariable('param:edge')).trim().toLowerCase();
  if (value === 'true' || value === 'false') return value;
  throw new Error(`the edge parameter is "${value}"; give --param="edge=true" or --param="edge=false"`);
}

module.exports = { code, enabled };
