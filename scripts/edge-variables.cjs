/**
 * serverless.yml's variables for the edge resources, read at `serverless package` time:
 *   ${file(scripts/edge-variables.cjs):enabled}  the `edge` parameter, as "true" or "false"
 *   ${file(scripts/edge-variables.cjs):code}     edge/x-deployment.js, as written, for FunctionCode
 *
 * A JavaScript file because the framework's `file` source parses only YAML and JSON, and would load
 * edge/x-deployment.js itself as a CommonJS module (which it is not) instead of reading its text.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const EDGE_FUNCTION = join(__dirname, '..', 'edge', 'x-deployment.js');

/** The edge function's source, exactly as in the repository. */
function code() {
  const source = readFileSync(EDGE_FUNCTION, 'utf8');
  // The framework resolves variables again inside the string it gets back: a template literal's
  // "${" would be taken for a serverless variable and fail the packaging or, worse, be replaced.
  const at = source.indexOf('${');
  if (at >= 0) {
    const line = source.slice(0, at).split('\n').length;
    throw new Error(
      `edge/x-deployment.js:${line} contains "\${", which serverless would resolve as a variable inside FunctionCode; ` +
        'use string concatenation instead of a template literal there',
    );
  }
  return source;
}

/** The `edge` parameter; anything but true or false is refused rather than read as "off". */
async function enabled({ resolveVariable }) {
  const value = String(await resolveVariable('param:edge')).trim().toLowerCase();
  if (value === 'true' || value === 'false') return value;
  throw new Error(`the edge parameter is "${value}"; give --param="edge=true" or --param="edge=false"`);
}

module.exports = { code, enabled };
