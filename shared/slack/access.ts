/**
 * Who may act from Slack: the allowlists (SLACK_ALLOWED_USERS, SLACK_ALLOWED_CHANNELS) applied to a
 * verified command. `help` and `status` are open to anyone in the workspace; `rollback`, `promote` and
 * `approve` are refused unless the lists allow the person and the channel, and refused to everyone while the lists
 * are malformed.
 */
import { optionalEnv, type EnvName } from '../config/env';
import { ConfigurationError, errorLogFields } from '../errors';
import { logger } from '../handler';
import { authorize, isPrivileged, parseSlackAccessPolicy, type AccessPolicyParse, type SlackAccessPolicy } from './authorize';
import type { SlackCommand } from './commands';
import { accessMisconfiguredResponse, refusalResponse, type SlackResponse } from './responses';

export const ALLOWED_USERS_ENV: EnvName = 'SLACK_ALLOWED_USERS';
export const ALLOWED_CHANNELS_ENV: EnvName = 'SLACK_ALLOWED_CHANNELS';

let policyMemo: { key: string; result: AccessPolicyParse } | undefined;

/** The allowlists, parsed once per distinct value of the variables; a bad list is logged once. */
function accessPolicy(): AccessPolicyParse {
  const raw = { allowedUsers: optionalEnv(ALLOWED_USERS_ENV), allowedChannels: optionalEnv(ALLOWED_CHANNELS_ENV) };
  const key = JSON.stringify(raw);
  if (policyMemo?.key !== key) {
    const result = parseSlackAccessPolicy(raw, { allowedUsers: ALLOWED_USERS_ENV, allowedChannels: ALLOWED_CHANNELS_ENV });
    if (!result.ok) {
      const error = new ConfigurationError(`The Slack allowlists are malformed: ${result.messages.join(' ')}`);
      logger.error('Slack access lists are misconfigured; rollback and promote from Slack are refused until fixed', errorLogFields(error));
    }
    policyMemo = { key, result };
  }
  return policyMemo.result;
}

/** The refusal of `command` (a response and a word for the log), or undefined when it may go ahead. */
export function checkAccess(
  command: SlackCommand,
  reference: string | undefined,
  given: SlackAccessPolicy | undefined,
): { response: SlackResponse; outcome: string } | undefined {
  const { name } = command.subcommand;
  if (!isPrivileged(name)) return undefined;
  const policy: AccessPolicyParse = given !== undefined ? { ok: true, policy: given } : accessPolicy();
  if (!policy.ok) return { response: accessMisconfiguredResponse(name, reference), outcome: 'refused:misconfigured' };
  const decision = authorize(command, policy.policy);
  if (decision.allowed) return undefined;
  return { response: refusalResponse(decision), outcome: `refused:${decision.refusals.join('+')}` };
}
