/**
 * serverless.yml's hook variable, read at `serverless package` time:
 *   ${file(scripts/hook-pattern.cjs):pattern}  the `hookFunctionPattern` parameter, checked
 *
 * runHook may invoke only the Lambda functions this pattern names (lambda:InvokeFunction). Empty (the
 * default) grants nothing: requests with hooks then fail at their first hook with AccessDeniedException.
 * "*" would let any rollout request make coalmine invoke any function in the account, so it is refused.
 */
async function pattern({ resolveVariable }) {
  const value = String(await resolveVariable('param:hookFunctionPattern')).trim();
  if (/^[*?]+$/.test(value)) {
    throw new Error(
      `the hookFunctionPattern parameter is "${value}", which matches every function in the account; name the hook functions, ` +
        'e.g. --param="hookFunctionPattern=coalmine-hook-*" (docs/post-promotion.md, "Deploying hooks")',
    );
  }
  if (value !== '' && !/^[A-Za-z0-9_*?-]{1,64}$/.test(value)) {
    throw new Error(`the hookFunctionPattern parameter is "${value}"; give the function-name part of an ARN, letters, digits, - and _ with * and ?, e.g. coalmine-hook-*`);
  }
  return value;
}

module.exports = { pattern };
