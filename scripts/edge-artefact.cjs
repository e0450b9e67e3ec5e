/**
 * The edge function as deployed: edge/x-deployment.js with comments and whitespace removed by esbuild
 * (names and syntax untouched, so the runtime still finds `handler` and the code is the code reviewed).
 * CloudFront takes at most 10 KB of function code; the commented source may be longer. serverless.yml
 * publishes this artefact (scripts/edge-variables.cjs), and the tests, the simulator and the bench run it.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync } = require('esbuild');

const EDGE_FUNCTION = join(__dirname, '..', 'edge', 'x-deployment.js');

/** The deployable code of a CloudFront Function source (edge/x-deployment.js when none is given). */
function edgeArtefact(source = readFileSync(EDGE_FUNCTION, 'utf8')) {
  const code = transformSync(source, { loader: 'js', minifyWhitespace: true, legalComments: 'none' }).code;
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
  return code;
}

module.exports = { EDGE_FUNCTION, edgeArtefact };
