/**
 * Slack messages for a rollout's lifecycle, readable at a glance: started (the plan), each analysed
 * step (weight, verdict, reason and the numbers behind it), promoted (how long it took), rolled back
 * (why, by whom or which alarm, how long), failed (at which stage, and whether a person must act).
 *
 * Two kinds of events come in:
 *   - source "coalmine": the lifecycle events the state machine puts on its bus (docs/events.md);
 *   - source "aws.states", "Step Functions Execution Status Change", status ABORTED or TIMED_OUT: an
 *     execution stopped from outside. The alarm rollback and the Slack commands stop executions
 *     (StopExecution skips the state machine's own announcements), so this is where "rolled back by
 *     alarm X" and "rolled back by @alice" come from.
 *
 * Pure: events in, messages out. Every field is read defensively; a missing one is left out of the
 * message, never an error (an announcement must not be lost to a renamed field).
 */
import { functionNameOf } from '../config/target-facts';
import { executionNameOf } from '../executions/arn';
import { LIFECYCLE_DETAIL_TYPES, LIFECYCLE_SOURCE, type LifecycleDetailType } from '../lifecycle';
import { targetProblem } from './commands';
import { formatDuration } from '../duration';
import { clip, contextBlocks, formatNumber, formatPercent, MESSAGE_BLOCKS_LIMIT, section, sectionOf, slackDate, verdictEmoji } from './format';
import { ALARM_ROLLBACK_ERROR, MANUAL_PROMOTE_ERROR, MANUAL_ROLLBACK_ERROR } from '../stop-errors';
import { readStopCause } from '../stop-cause';
import { channelOf } from '../actions/requester';
import type { SlackMessage } from './poster';
import { escapeMrkdwn, gateActionsBlock, rolloutActionsBlock, type SlackBlock } from './responses';
import { isRecord } from '../json';

export const EXECUTION_STATUS_SOURCE = 'aws.states';
export const EXECUTION_STATUS_DETAIL_TYPE = 'Step Functions Execution Status Change';

/** The execution error names of stops from outside, as the code that stops defines them. */
const STOP_ERRORS = { alarm: ALARM_ROLLBACK_ERROR, rollback: MANUAL_ROLLBACK_ERROR, promote: MANUAL_PROMOTE_ERROR } as const;

type Detail = Readonly<Record<string, unknown>>;

export type NotificationEvent =
  | { readonly kind: 'lifecycle'; readonly detailType: LifecycleDetailType; readonly detail: Detail }
  | {
      readonly kind: 'execution-stopped';
      readonly status: 'ABORTED' | 'TIMED_OUT';
      readonly executionArn?: string;
      readonly stateMachineArn?: string;
      readonly executionName: string;
      /** The execution's raw input (the rollout request), as the event carries it. */
      readonly input?: string;
      readonly startDate?: number;
      readonly stopDate?: number;
      readonly error?: string;
      readonly cause?: string;
    };

/** What an EventBridge event is to the notifier, or why it is not one it posts. Never throws. */
export function classifyEvent(event: unknown): NotificationEvent | { readonly ignored: string } {
  if (!isRecord(event)) return { ignored: 'not an EventBridge event' };
  const source = event.source;
  const detailType = event['detail-type'];
  const detail = isRecord(event.detail) ? event.detail : undefined;
  if (detail === undefined) return { ignored: `the event has no detail (source ${String(source)})` };
  if (source === LIFECYCLE_SOURCE) {
    if (!(LIFECYCLE_DETAIL_TYPES as readonly unknown[]).includes(detailType)) {
      return { ignored: `unknown coalmine detail-type ${JSON.stringify(detailType)}` };
    }
    return { kind: 'lifecycle', detailType: detailType as LifecycleDetailType, detail };
  }
  if (source === EXECUTION_STATUS_SOURCE && detailType === EXECUTION_STATUS_DETAIL_TYPE) {
    const status = detail.status;
    // SUCCEEDED and FAILED executions announce themselves through the lifecycle events.
    if (status !== 'ABORTED' && status !== 'TIMED_OUT') return { ignored: `execution status ${String(status)} is announced by the state machine` };
    const executionArn = text(detail.executionArn);
    const executionName = text(detail.name) ?? (executionArn !== undefined ? executionNameOf(executionArn) : 'unknown');
    return {
      kind: 'execution-stopped',
      status,
      executionName,
      ...defined({
        executionArn,
        stateMachineArn: text(detail.stateMachineArn),
        input: text(detail.input),
        startDate: number(detail.startDate),
        stopDate: number(detail.stopDate),
        error: text(detail.error),
        cause: text(detail.cause),
      }),
    };
  }
  return { ignored: `source ${JSON.stringify(source)} / ${JSON.stringify(detailType)} is not a rollout event` };
}

/** The message for an event. */
export function notificationFor(event: NotificationEvent): SlackMessage {
  const message = event.kind === 'lifecycle' ? lifecycleMessage(event.detailType, event.detail) : stoppedMessage(event);
  return { text: clip(message.text, 3000), blocks: (message.blocks ?? []).slice(0, MESSAGE_BLOCKS_LIMIT) };
}

// ---- lifecycle events -----------------------------------------------------------------------------

function lifecycleMessage(detailType: LifecycleDetailType, detail: Detail): SlackMessage {
  switch (detailType) {
    case 'Rollout Started':
      return started(detail);
    case 'Rollout Step Analyzed':
      return analyzed(detail);
    case 'Rollout Awaiting Approval':
      return awaitingApproval(detail);
    case 'Rollout Gate Passed':
      return gatePassed(detail);
    case 'Rollout Promoted':
      return promoted(detail);
    case 'Rollout Rolled Back':
      return rolledBack(detail);
    case 'Rollout Failed':
      return failed(detail);
  }
}

function started(detail: Detail): SlackMessage {
  const name = rolloutName(detail);
  const headline = `:bird: Rollout started: ${bold(name)}`;
  const plan = isRecord(detail.plan) ? detail.plan : {};
  const steps = Array.isArray(plan.steps) ? plan.steps.filter(isRecord) : [];
  const lines = [headline, targetLine(detail)];
  const baseline = isRecord(detail.baseline) ? detail.baseline : {};
  if (typeof baseline.greenPins === 'string' && typeof baseline.bluePins === 'string') {
    // Pins hold from Preflight on, whatever the step's weight: say how much of the internet they cover.
    lines.push(`*Pins, whatever the weight:* green ${escapeMrkdwn(baseline.greenPins)}; blue ${escapeMrkdwn(baseline.bluePins)}`);
  }
  if (steps.length === 0) {
    lines.push('*Plan:* all at once: straight to 100 %, no canary step.');
  } else {
    const weights = [...steps.map((s) => `${formatNumber(Number(s.weight))} %`), '100 %'].join(' → ');
    const bakes = [...new Set(steps.map((s) => Number(s.bakeSeconds)))];
    const bake = bakes.length === 1 ? `${formatDuration(bakes[0]!)} bake per step` : 'bakes of ' + bakes.map((b) => formatDuration(b)).join(', ');
    lines.push(`*Plan:* ${weights} · ${steps.length} step${steps.length === 1 ? '' : 's'}, ${bake}`);
  }
  const timing: string[] = [];
  const nominal = number(plan.nominalSeconds);
  const worst = number(plan.worstCaseSeconds);
  if (nominal !== undefined) timing.push(`about ${formatDuration(nominal)} if every analysis passes`);
  if (worst !== undefined && worst !== nominal) timing.push(`at most ${formatDuration(worst)} with every extra bake`);
  if (timing.length > 0) lines.push(`*Time:* ${timing.join(', ')}`);
  if (isRecord(detail.override)) {
    const allowed = [
      ...(detail.override.alarmsAlreadyFiring === true ? ['started while a listed alarm fires'] : []),
      ...(detail.override.allowLargeGreenPins === true ? ['green pins above the bound'] : []),
    ];
    lines.push(`:rotating_light: *Override:* ${allowed.join(', ') || 'given'}; reason: ${escapeMrkdwn(String(detail.override.reason ?? '(none given)'))}`);
  }
  const cost = number(plan.nominalCostUsd);
  const facts = [executionFact(detail)];
  if (cost !== undefined) facts.push(`Step Functions cost ≈ $${formatNumber(cost, 4)}`);
  return {
    text: `Rollout started: ${name}`,
    blocks: [sectionOf(lines), ...contextBlocks(...facts), ...actions(detail)],
  };
}

const ACTION_PHRASES: Readonly<Record<string, string>> = {
  advance: 'next step',
  'bake-again': 'baking again',
  promote: 'promoting',
  rollback: 'rolling back',
  'await-approval': 'waiting for a person',
};

function analyzed(detail: Detail): SlackMessage {
  const name = rolloutName(detail);
  const analysis = isRecord(detail.analysis) ? detail.analysis : {};
  const step = isRecord(analysis.step) ? analysis.step : {};
  const verdict = text(analysis.verdict) ?? 'unknown';
  const action = text(analysis.action) ?? 'unknown';
  const index = number(step.index);
  const weight = number(step.weight);
  const stepCount = number(detail.stepCount);
  const extraBakes = number(step.extraBakes) ?? 0;
  const position =
    index !== undefined ? `step ${index + 1}${stepCount !== undefined ? ` of ${stepCount}` : ''}` : 'a step';
  const at = weight !== undefined ? ` at *${formatNumber(weight)} %*` : '';
  const extra = extraBakes > 0 ? ` (extra bake ${extraBakes})` : '';
  const headline = `${verdictEmoji(verdict)} ${bold(name)} ${position}${at}${extra}: *${escapeMrkdwn(verdict)}* → ${escapeMrkdwn(ACTION_PHRASES[action] ?? action)}`;
  const blocks: SlackBlock[] = [section(headline)];
  const reason = text(analysis.reason);
  if (reason !== undefined) blocks.push(section(escapeMrkdwn(clip(reason, 1500))));
  const checks = Array.isArray(analysis.checks) ? analysis.checks.filter(isRecord) : [];
  for (const check of checks.slice(0, 10)) blocks.push(section(checkText(check)));
  blocks.push(...contextBlocks(executionFact(detail), ...(text(analysis.analyzedAt) !== undefined ? [`analyzed ${slackDate(text(analysis.analyzedAt))}`] : [])));
  // Buttons only while the rollout goes on; once it promotes or rolls back, the next message says how it ended.
  if (action === 'advance' || action === 'bake-again') blocks.push(...actions(detail));
  const plainWeight = weight !== undefined ? ` at ${formatNumber(weight)} %` : '';
  return { text: `${name} ${position}${plainWeight}: ${verdict}, ${ACTION_PHRASES[action] ?? action}`, blocks };
}

/** "step 2 of 3 at *25 %*", from a gate event's step and stepCount. */
function stepPosition(detail: Detail, markup: boolean): string {
  const step = isRecord(detail.step) ? detail.step : {};
  const index = number(step.index);
  const weight = number(step.weight);
  const stepCount = number(detail.stepCount);
  const position = index !== undefined ? `step ${index + 1}${stepCount !== undefined ? ` of ${stepCount}` : ''}` : 'a step';
  const percent = weight !== undefined ? `${formatNumber(weight)} %` : undefined;
  return percent === undefined ? position : `${position} at ${markup ? `*${percent}*` : percent}`;
}

/** The gate's wait: what passed (or what the judges still need, on hold), until when, and the Approve / Roll back buttons. */
function awaitingApproval(detail: Detail): SlackMessage {
  const name = rolloutName(detail);
  const gate = isRecord(detail.gate) ? detail.gate : {};
  const hold = gate.kind === 'hold';
  const onward = gate.then === 'promote' ? 'promotes' : 'moves to the next step';
  const timeout = number(gate.timeoutSeconds);
  const timesOut = text(detail.timesOutAt);
  const onTimeout = gate.onTimeout === 'proceed' ? `${onward} without an approval` : 'rolls back';
  const headline = hold
    ? `:raised_hand: ${bold(name)} ${stepPosition(detail, true)} is *on hold*: the judges cannot decide yet. Approve to go on, or roll back.`
    : `:raised_hand: ${bold(name)} ${stepPosition(detail, true)} passed its analysis and *waits for your approval*.`;
  const lines = [headline, targetLine(detail), `*Approve:* the rollout ${onward}. *Roll back:* all traffic back on the stable version.`];
  if (timeout !== undefined) lines.push(`*Nobody answers:* after ${formatDuration(timeout)}${timesOut !== undefined ? ` (${slackDate(timesOut)})` : ''} the rollout ${onTimeout}.`);
  const blocks: SlackBlock[] = [sectionOf(lines)];
  const reason = text(detail.reason);
  if (reason !== undefined) blocks.push(section(`*${hold ? 'Evidence' : 'Analysis'}:* ${escapeMrkdwn(clip(reason, 1500))}`));
  blocks.push(...contextBlocks(executionFact(detail), `or \`/coalmine approve ${escapeMrkdwn(name)}\`, \`coalmine approve ${escapeMrkdwn(name)}\``));
  const key = actionKey(detail);
  if (key !== undefined) blocks.push(gateActionsBlock(key));
  return { text: `${name} ${stepPosition(detail, false)}: ${hold ? 'on hold, waiting for a person' : 'waiting for approval'}`, blocks };
}

/** Who approved the gate, or that it timed out and the rollout went on. */
function gatePassed(detail: Detail): SlackMessage {
  const name = rolloutName(detail);
  const approval = isRecord(detail.approval) ? detail.approval : {};
  const gate = isRecord(detail.gate) ? detail.gate : {};
  const onward = gate.then === 'promote' ? 'promoting' : 'moving to the next step';
  const by = text(approval.by);
  const headline =
    approval.decision === 'approved'
      ? `:white_check_mark: ${bold(name)} ${stepPosition(detail, true)} approved${by !== undefined ? ` by ${escapeMrkdwn(by)}` : ''}: ${onward}.`
      : `:hourglass: ${bold(name)} ${stepPosition(detail, true)}: nobody approved in time; the gate says proceed, so ${onward}.`;
  const plain = approval.decision === 'approved' ? `approved${by !== undefined ? ` by ${by}` : ''}` : 'not approved in time, proceeding';
  return { text: `${name} ${stepPosition(detail, false)}: ${plain}`, blocks: [section(headline), ...contextBlocks(executionFact(detail))] };
}

/** One judge's verdict and the numbers it rests on. */
function checkText(check: Detail): string {
  const judge = text(check.judge) ?? 'judge';
  const verdict = text(check.verdict) ?? 'unknown';
  const lines = [`${verdictEmoji(verdict)} *${escapeMrkdwn(judge)}*: ${escapeMrkdwn(clip(text(check.reason) ?? verdict, 500))}`];
  const evidence = isRecord(check.evidence) ? check.evidence : {};
  lines.push(...evidenceLines(evidence).slice(0, 12).map((l) => `• ${l}`));
  return lines.join('\n');
}

function evidenceLines(evidence: Detail): string[] {
  if (Array.isArray(evidence.alarms)) {
    return evidence.alarms.filter(isRecord).map((alarm) => {
      const reason = text(alarm.reason);
      return `${escapeMrkdwn(text(alarm.name) ?? '?')}: *${escapeMrkdwn(text(alarm.state) ?? '?')}*${reason ? ` (${escapeMrkdwn(clip(reason, 200))})` : ''}`;
    });
  }
  if (Array.isArray(evidence.metrics)) {
    // The SLO gate's line comes first: it acts whatever the comparison with the baseline says.
    const slo = isRecord(evidence.slo) ? [evidence.slo] : [];
    return [...slo, ...evidence.metrics.filter(isRecord)].map((metric) => {
      const inner = isRecord(metric.evidence) ? metricNumbers(metric.evidence) : undefined;
      const verdict = text(metric.verdict);
      const shadow = metric.dryRun === true ? ' _(dry run: reported, never acts)_' : '';
      return `${escapeMrkdwn(text(metric.metric) ?? text(metric.name) ?? 'metric')}${verdict ? ` ${verdictEmoji(verdict)}` : ''}${shadow}${inner ? `: ${inner}` : ''}`;
    });
  }
  const numbers = metricNumbers(evidence);
  if (numbers !== undefined) return [numbers];
  // An evidence shape this message does not know: its plain values, so that the numbers are still there.
  return Object.entries(evidence)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')
    .slice(0, 8)
    .map(([k, v]) => `${escapeMrkdwn(k)}: ${escapeMrkdwn(typeof v === 'number' ? formatNumber(v, 4) : clip(String(v), 200))}`);
}

/** The statistical judge's evidence (errors and slow requests: counts and rates; latency: medians), with its p-value. */
function metricNumbers(evidence: Detail): string | undefined {
  const p = number(evidence.pValue);
  const pText = p !== undefined ? `, p = ${p < 0.0001 ? '< 0.0001' : formatNumber(p, 4)}` : '';
  // 'slow-requests': the metrics judge's latency checks count requests over a threshold, as errors are counted.
  if ((evidence.kind === 'errors' || evidence.kind === 'slow-requests') && isRecord(evidence.canary) && isRecord(evidence.baseline)) {
    const arm = (a: Detail): string => {
      const failures = number(a.failures) ?? 0;
      const requests = number(a.requests) ?? 0;
      const rate = number(a.rate);
      return `${failures.toLocaleString('en-US')}/${requests.toLocaleString('en-US')}${rate !== undefined ? ` (${formatPercent(rate, 3)})` : ''}`;
    };
    const ratio = number(evidence.ratio);
    return `${evidence.kind === 'errors' ? 'errors' : 'slow requests'}: canary ${arm(evidence.canary)} vs baseline ${arm(evidence.baseline)}${ratio !== undefined ? `, ratio ${formatNumber(ratio)}×` : ''}${pText}`;
  }
  if (evidence.kind === 'burn-rate' && isRecord(evidence.canary)) {
    const failures = number(evidence.canary.failures) ?? 0;
    const requests = number(evidence.canary.requests) ?? 0;
    const burn = number(evidence.burnRate);
    const allowed = number(evidence.maxBurnRate);
    return `canary errors ${failures.toLocaleString('en-US')}/${requests.toLocaleString('en-US')}${burn !== undefined ? `, burning the error budget ${formatNumber(burn)}×` : ''}${allowed !== undefined ? ` (at most ${formatNumber(allowed)}×)` : ''}${pText}`;
  }
  if (evidence.kind === 'latency') {
    const canary = number(evidence.canaryMedian);
    const baseline = number(evidence.baselineMedian);
    const ratio = number(evidence.medianRatio);
    const counts = `${number(evidence.canaryCount) ?? 0} vs ${number(evidence.baselineCount) ?? 0} points`;
    const medians = canary !== undefined && baseline !== undefined ? `median ${formatNumber(canary)} vs ${formatNumber(baseline)}` : 'medians unknown';
    return `latency: ${medians}${ratio !== undefined ? ` (${formatNumber(ratio)}×)` : ''}, ${counts}${pText}`;
  }
  return undefined;
}

function promoted(detail: Detail): SlackMessage {
  const name = rolloutName(detail);
  const headline = `:rocket: ${bold(name)} promoted: all traffic on ${newVersionText(detail)}.`;
  const took = durationBetween(detail.startedAt, detail.promotedAt);
  return {
    text: `${name} promoted${took !== undefined ? ` after ${took}` : ''}`,
    blocks: [
      sectionOf([headline, targetLine(detail)]),
      ...contextBlocks(
        executionFact(detail),
        ...(took !== undefined ? [`took ${took} (started ${slackDate(text(detail.startedAt))}, promoted ${slackDate(text(detail.promotedAt))})`] : []),
      ),
    ],
  };
}

/** What each error the state machine rolls back on means, in a few words. */
const ROLLBACK_REASONS: Readonly<Record<string, string>> = {
  CanaryAnalysisFailed: 'the canary analysis failed',
  TrafficConflict: 'someone else changed the traffic',
  RolloutInProgress: 'another rollout holds the target',
  AwsThrottled: 'AWS kept throttling the calls',
  AwsUnavailable: 'AWS kept failing the calls',
  TrafficWriteConflict: 'the traffic store kept changing under the writes',
  TrafficNotYetVisible: 'the new weight never became visible',
  ApprovalRejected: 'a person rolled it back at the approval gate',
  ApprovalTimedOut: 'nobody approved in time',
  'States.Timeout': 'a task timed out',
  'States.TaskFailed': 'a task failed',
};

function rolledBack(detail: Detail): SlackMessage {
  const name = rolloutName(detail);
  const error = text(detail.error) ?? 'unknown';
  // The reconciler's event says who acted and how the execution ended, in fields of their own.
  const by = text(detail.rolledBackBy) ?? 'coalmine';
  const why = text(detail.endedBecause) ?? ROLLBACK_REASONS[error] ?? `coalmine caught ${error}`;
  const headline = `:rewind: ${bold(name)} rolled back by ${escapeMrkdwn(by)}: ${escapeMrkdwn(why)}. All traffic on ${baselineText(detail)} again.`;
  const took = durationBetween(detail.startedAt, detail.rolledBackAt);
  const blocks: SlackBlock[] = [sectionOf([headline, targetLine(detail)])];
  const cause = text(detail.cause);
  if (cause !== undefined) blocks.push(section(`*Why:* ${escapeMrkdwn(clip(cause, 2800))}`));
  blocks.push(...contextBlocks(executionFact(detail), `error \`${escapeMrkdwn(error)}\``, ...(took !== undefined ? [`rolled back ${took} after the start`] : [])));
  return { text: `${name} rolled back: ${why}`, blocks };
}

function failed(detail: Detail): SlackMessage {
  const name = rolloutName(detail);
  const stage = text(detail.stage);
  const error = text(detail.error) ?? 'unknown';
  const cause = text(detail.cause);
  const blocks: SlackBlock[] = [];
  let plain: string;
  if (stage === 'rollback') {
    const original = text(detail.originalError);
    plain = `${name}: the ROLLBACK FAILED; traffic may still reach the new version. A person must act.`;
    blocks.push(
      section(
        `:rotating_light: ${bold(name)}: *the rollback failed*. Traffic may still reach the new version: *a person must act* ` +
          `(set the target back to its baseline by hand).\n${targetLine(detail)}`,
      ),
    );
    if (cause !== undefined) blocks.push(section(`*Rollback error:* ${escapeMrkdwn(clip(cause, 2800))}`));
    blocks.push(...contextBlocks(executionFact(detail), ...(original !== undefined ? [`rolling back after \`${escapeMrkdwn(original)}\``] : [])));
  } else {
    plain = `${name} refused at preflight (${error}); nothing changed.`;
    blocks.push(section(`:no_entry: ${bold(name)} refused at preflight: *${escapeMrkdwn(error)}*. No traffic moved.`));
    if (cause !== undefined) blocks.push(section(escapeMrkdwn(clip(cause, 2800))));
    blocks.push(...contextBlocks(executionFact(detail)));
  }
  return { text: plain, blocks };
}

// ---- executions stopped from outside --------------------------------------------------------------

function stoppedMessage(event: Extract<NotificationEvent, { kind: 'execution-stopped' }>): SlackMessage {
  const name = nameFromInput(event.input) ?? event.executionName;
  const ran = event.startDate !== undefined && event.stopDate !== undefined ? formatDuration((event.stopDate - event.startDate) / 1000) : undefined;
  const facts = [`Execution \`${escapeMrkdwn(event.executionName)}\``, ...(ran !== undefined ? [`stopped ${ran} after the start`] : [])];
  if (event.status === 'TIMED_OUT') {
    const headline =
      `:rotating_light: ${bold(name)}: the execution timed out, so nothing rolled it back. ` +
      '*A person must act:* check the target and set it to the version it should serve.';
    return { text: `${name}: the execution timed out; check the target.`, blocks: [section(headline), ...contextBlocks(...facts)] };
  }
  const { sentence: cause, facts: stop } = readStopCause(event.cause ?? '');
  const why: SlackBlock[] = cause !== '' ? [section(`*Why:* ${escapeMrkdwn(clip(cause, 2800))}`)] : [];
  if (stop.rollbackLatencyMs !== undefined) facts.push(`${formatDuration(stop.rollbackLatencyMs / 1000)} to a verified 0 %`);
  switch (event.error) {
    case STOP_ERRORS.alarm: {
      const alarm = stop.alarm;
      const by = alarm !== undefined ? `alarm *${escapeMrkdwn(alarm)}*` : 'an alarm';
      return {
        text: `${name} rolled back by ${alarm !== undefined ? `alarm ${alarm}` : 'an alarm'}`,
        blocks: [section(`:rotating_light: ${bold(name)} rolled back by ${by}: all traffic on the stable version again.`), ...why, ...contextBlocks(...facts)],
      };
    }
    case STOP_ERRORS.rollback:
    case STOP_ERRORS.promote: {
      const person = stop.requester;
      const promote = event.error === STOP_ERRORS.promote;
      const verb = promote ? 'promoted' : 'rolled back';
      const emoji = promote ? ':rocket:' : ':rewind:';
      const result = promote ? 'all traffic goes to the new version, skipping the remaining analysis' : 'all traffic on the stable version again';
      const from = person !== undefined ? channelOf(person) : 'Slack or the coalmine CLI';
      const shownAs = person === undefined ? 'a person' : person.kind === 'slack' ? `<@${person.userId}>` : `\`${escapeMrkdwn(person.arn)}\``;
      const named = person === undefined ? '' : ` by ${person.kind === 'slack' ? (person.userName ?? person.userId) : person.arn}`;
      return {
        text: `${name} ${verb} from ${from}${named}`,
        blocks: [section(`${emoji} ${bold(name)} ${verb} from ${from} by ${shownAs}: ${result}.`), ...why, ...contextBlocks(...facts)],
      };
    }
    default: {
      const headline =
        `:octagonal_sign: ${bold(name)}: the execution was stopped from outside coalmine` +
        `${event.error !== undefined ? ` (\`${escapeMrkdwn(event.error)}\`)` : ''}, so it did not roll back on its own. ` +
        '*Check the target:* it may still send traffic to the new version.';
      return { text: `${name}: the execution was stopped by hand; check the target.`, blocks: [section(headline), ...why, ...contextBlocks(...facts)] };
    }
  }
}

/** The request's `name`, or its Lambda target as function:alias, from the raw execution input. */
function nameFromInput(input: string | undefined): string | undefined {
  if (input === undefined) return undefined;
  try {
    const request = JSON.parse(input) as { name?: unknown; target?: { functionName?: unknown; alias?: unknown } };
    if (typeof request.name === 'string') return request.name;
    const { functionName, alias } = request.target ?? {};
    if (typeof functionName === 'string' && typeof alias === 'string') return `${functionNameOf(functionName)}:${alias}`;
  } catch {
    // Not JSON: fall back to the execution's name.
  }
  return undefined;
}

// ---- shared pieces --------------------------------------------------------------------------------

function rolloutName(detail: Detail): string {
  return text(detail.name) ?? text(detail.executionName) ?? 'a rollout';
}

function targetLine(detail: Detail): string {
  const target = isRecord(detail.target) ? detail.target : undefined;
  if (target === undefined) return '';
  if (target.type === 'lambda-alias') {
    const fn = functionNameOf(text(target.functionName) ?? '?');
    const from = isRecord(detail.baseline) && detail.baseline.version !== undefined ? `version ${String(detail.baseline.version)} → ` : 'version ';
    return `\`${escapeMrkdwn(`${fn}:${text(target.alias) ?? '?'}`)}\` · ${escapeMrkdwn(from)}${escapeMrkdwn(String(target.version ?? '?'))}`;
  }
  if (target.type === 'cloudfront-kvs') {
    const arn = text(target.kvsArn) ?? '';
    return `CloudFront KeyValueStore \`${escapeMrkdwn(arn.slice(arn.lastIndexOf('/') + 1) || '?')}\``;
  }
  return `\`${escapeMrkdwn(String(target.type ?? 'target'))}\``;
}

function newVersionText(detail: Detail): string {
  const target = isRecord(detail.target) ? detail.target : {};
  return target.type === 'lambda-alias' && target.version !== undefined ? `version ${escapeMrkdwn(String(target.version))}` : 'the new version';
}

function baselineText(detail: Detail): string {
  const baseline = isRecord(detail.baseline) ? detail.baseline : {};
  return baseline.version !== undefined ? `version ${escapeMrkdwn(String(baseline.version))}` : 'the stable version';
}

function executionFact(detail: Detail): string {
  const execution = text(detail.executionName);
  return execution !== undefined ? `Execution \`${escapeMrkdwn(execution)}\`` : '';
}

/** What buttons name a rollout by: the execution (unique), else the rollout's name. */
function actionKey(detail: Detail): string | undefined {
  return [text(detail.executionName), text(detail.name)].find((k) => k !== undefined && targetProblem(k) === undefined);
}

/** The Roll back / Promote / Status buttons. */
function actions(detail: Detail): SlackBlock[] {
  const key = actionKey(detail);
  return key !== undefined ? [rolloutActionsBlock(key)] : [];
}

function durationBetween(from: unknown, to: unknown): string | undefined {
  const start = typeof from === 'string' ? Date.parse(from) : Number.NaN;
  const end = typeof to === 'string' ? Date.parse(to) : Number.NaN;
  return Number.isFinite(start) && Number.isFinite(end) && end >= start ? formatDuration((end - start) / 1000) : undefined;
}

function bold(value: string): string {
  return `*${escapeMrkdwn(value)}*`;
}


function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function number(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}


function defined<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
