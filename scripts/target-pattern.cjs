/**
 * serverless.yml's ${file(scripts/target-pattern.cjs):targetFunctionPattern}, read at `serverless package`
 * time: the `targetFunctionPattern` parameter, which has no default. The functions a rollout may move
 * traffic on are the deployer's choice; a default of "*" would let five roles update the aliases of every
 * function in the account, so a deploy that does not name them stops here, saying what to give.
 */
async function targetFunctionPattern({ resolveVariable }) {
  const value = String(await resolveVariable('param:targetFunctionPattern')).trim();
  if (value !== '') return value;
  throw new Error(
    'the targetFunctionPattern parameter is not set: name the Lambda functions rollouts may move traffic on, ' +
      'e.g. --param="targetFunctionPattern=checkout*" (a function name, wildcards * and ?; "*" for every function ' +
      'of the account and region)',
  );
}

module.exports = { targetFunctionPattern };
