/**
 * `serverless package` turns serverless.yml into the stack a user deploys. This test packages it three
 * times (default parameters but the required targetFunctionPattern; every optional parameter given: scoped
 * to the checkout functions, alarms and one KeyValueStore, the edge on, artifact rules in SSM, an artifact
 * bucket, the Lambda and ECR artifact rules off, Slack allowlists and channel; the edge on with default
 * patterns), then checks what a reviewer
 * of the stack would check: the functions and the state machine, least-privilege roles, the events that
 * reach each function, the Slack endpoint, the edge resources, and the bundles.
 * No AWS credentials and no network: packaging is local.
 */
import { buildSync } from 'esbuild';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { basename, dirname, join, posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { chunksOf } from '../../scripts/own-chunks.cjs';
import { ARTIFACT_EVENT_TYPES } from '../../shared/artifacts/events';
import { TARGET_CHANGING_STATES } from '../../shared/executions/states';
import { AWAITING_APPROVAL, LIFECYCLE_DETAIL_TYPES } from '../../shared/lifecycle';
import { readEdgeArtefact } from '../../sim/edge-runtime';
import { ALLOWED_CHANNELS_ENV, ALLOWED_USERS_ENV } from '../../shared/slack/access';
import { MAX_WORK_AGE_MS } from '../../shared/slack/handover';
import { SLACK_CHANNEL_ENV } from '../../shared/slack/notifier';
import { SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_WEBHOOK_URL } from '../../shared/slack/secrets';
import {
  ACCOUNT,
  REGION,
  REPO,
  TemplateReader,
  allows,
  keyValueStoreId,
  lintTemplate,
  onPath,
  packageStack,
  removeTempDirs,
  run,
  tempDir,
  type LintFinding,
  type Statement,
  type Template,
} from './template';
import { readZip } from './zip';

const STAGE = 'ci';
/** A store that exists apart from the stack, as a user would name it in kvsPattern. */
const CHECKOUT_KVS_ID = '327284aa-bcd5-499f-a3ff-26b9a9d31b58';
/** The bucket of the S3 event fixtures (test/fixtures/eventbridge/aws.s3), and another. */
const ARTIFACT_BUCKETS = ['coalmine-releases', 'web-artifacts'];
const RULES_PARAMETER = `/coalmine/${STAGE}/artifact-rules`;
const PROMETHEUS_TOKEN_PARAMETER = `/coalmine/${STAGE}/prometheus-token`;
const AMP_WORKSPACE = 'ws-0123abcd-4567-89ef-0123-456789abcdef';
const ANALYZE_SUBNETS = ['subnet-0a1b2c3d', 'subnet-0e4f5a6b'];
const ANALYZE_SECURITY_GROUPS = ['sg-0c7d8e9f'];
/** The one parameter without a default: the functions rollouts may move (scripts/target-pattern.cjs). */
const TARGET_PATTERN_PARAM = 'targetFunctionPattern=checkout*';
const SCOPED_PARAMS = [
  TARGET_PATTERN_PARAM,
  'hookFunctionPattern=coalmine-hook-*',
  'alarmNamePattern=checkout-*',
  `kvsPattern=${CHECKOUT_KVS_ID}`,
  'edge=true',
  'alarmRollbackGraceSeconds=120',
  'artifactTriggers=false',
  `artifactBuckets=${ARTIFACT_BUCKETS.join(',')}`,
  `artifactRulesParameter=${RULES_PARAMETER}`,
  'slackAllowedUsers=U0ALICE123,U0BOB45678',
  'slackAllowedChannels=C0DEPLOYS1',
  'slackNotifyChannel=C0DEPLOYS1',
  `analyzeSubnetIds=${ANALYZE_SUBNETS.join(',')}`,
  `analyzeSecurityGroupIds=${ANALYZE_SECURITY_GROUPS.join(',')}`,
  `ampWorkspaceId=${AMP_WORKSPACE}`,
  `prometheusTokenParameter=${PROMETHEUS_TOKEN_PARAMETER}`,
  'dashboard=false',
];
const EDGE_PARAMS = [TARGET_PATTERN_PARAM, 'edge=true', 'artifactTriggers=true'];
const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/** The calls of the cloudfront-kvs router (shared/routers/cloudfront-kvs.ts) that read and write the store. */
const KVS_DRIVE_ACTIONS = [
  'cloudfront-keyvaluestore:DescribeKeyValueStore',
  'cloudfront-keyvaluestore:GetKey',
  'cloudfront-keyvaluestore:UpdateKeys',
];
/** The lambda-alias router's calls (shared/routers/lambda-alias.ts), granted on targetFunctionPattern. */
const ROUTER_LAMBDA_ACTIONS = ['lambda:GetAlias', 'lambda:GetFunctionConfiguration', 'lambda:UpdateAlias'];

const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:coalmine-${STAGE}-canary`;
/** Every execution of the canary state machine, and nothing else (the `execution` resource type). */
const EXECUTIONS_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:execution:coalmine-${STAGE}-canary:*`;
const ssmParameterArn = (name: string): string => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`;
const slackParameter = (name: string): string => `/coalmine/${STAGE}/slack/${name}`;
const ALARM_ROLLBACK_FAILURE_QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:coalmine-${STAGE}-alarm-rollback-failures`;

interface FunctionSpec {
  /** The handler module, without its extension. */
  readonly module: string;
  /** The AWS calls its code makes, as IAM actions; its role grants exactly these (but see grantedOnlyWith). */
  readonly actions: readonly string[];
  /** Calls granted only when a parameter is given (the role names its resource), by the parameter's name. */
  readonly grantedOnlyWith?: Readonly<Record<string, string>>;
  /** Granted for the Lambda service's use of the role, not for a call of the code. */
  readonly serviceActions?: readonly string[];
  /** Calls made over HTTP signed with SigV4, not with an SDK command the bundle scan below finds. */
  readonly signedCalls?: readonly string[];
  /** Calls whose code is in the bundle (a shared module) but which this handler never makes: not granted. */
  readonly bundledNotCalled?: readonly string[];
  /**
   * The exact resources of the actions that follow no pattern parameter (targetFunctionPattern and kvsPattern
   * have their own tests below), in every stack that grants them.
   */
  readonly resources?: Readonly<Record<string, readonly string[]>>;
}

/** What Lambda does with the role of a function in a VPC: its network interfaces. */
const VPC_ACTIONS = ['ec2:AssignPrivateIpAddresses', 'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:UnassignPrivateIpAddresses'];

/** The lambda-alias router module's preflight, which only the Preflight task runs. */
const ROUTER_PREFLIGHT_ONLY = ['lambda:GetFunctionConfiguration'];

/** Executions of this state machine: listing (stateMachine), reading and stopping (execution). */
const ROLLOUT_CONTROL_RESOURCES = {
  'states:ListExecutions': [STATE_MACHINE_ARN],
  'states:GetExecutionHistory': [EXECUTIONS_ARN],
  'states:StopExecution': [EXECUTIONS_ARN],
};

/** Each function: its handler module, and the AWS calls its code makes (shared/tasks/, routers, judges, alarms, artifacts, slack). */
const FUNCTIONS: Record<string, FunctionSpec> = {
  // Takes the KVS lock and writes missing keys: read the ETag and keys, then one UpdateKeys batch.
  preflight: {
    module: 'functions/preflight',
    actions: ['cloudwatch:DescribeAlarms', 'lambda:GetAlias', 'lambda:GetFunctionConfiguration', ...KVS_DRIVE_ACTIONS],
    // The alias router's writes: its preflight only reads the alias. Of the judges, only the alarm judge
    // checks anything before traffic moves (shared/judges/preflight.ts): the metrics judge is not bundled.
    bundledNotCalled: ['lambda:UpdateAlias'],
  },
  shiftTraffic: {
    module: 'functions/shift-traffic',
    actions: ['lambda:GetAlias', 'lambda:UpdateAlias', ...KVS_DRIVE_ACTIONS],
    bundledNotCalled: ROUTER_PREFLIGHT_ONLY,
  },
  // verifyWeight reads green_percentage back: GetKey only, no ETag, no write.
  verifyTraffic: {
    module: 'functions/verify-traffic',
    actions: ['lambda:GetAlias', 'cloudfront-keyvaluestore:GetKey'],
    bundledNotCalled: [...ROUTER_PREFLIGHT_ONLY, 'lambda:UpdateAlias', 'cloudfront-keyvaluestore:DescribeKeyValueStore', 'cloudfront-keyvaluestore:UpdateKeys'],
  },
  // The judges only: the alarms, and the metrics judge's GetMetricData, which has no resource type; for
  // Prometheus pairs the token parameter, an AMP workspace, and in a VPC the network interfaces.
  analyzeCanary: {
    module: 'functions/analyze-canary',
    actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricData', 'ssm:GetParameter'],
    signedCalls: ['aps:QueryMetrics'],
    serviceActions: VPC_ACTIONS,
    grantedOnlyWith: {
      'ssm:GetParameter': 'prometheusTokenParameter',
      'aps:QueryMetrics': 'ampWorkspaceId',
      ...Object.fromEntries(VPC_ACTIONS.map((action) => [action, 'analyzeSubnetIds'])),
    },
    resources: {
      'cloudwatch:GetMetricData': ['*'],
      'ssm:GetParameter': [ssmParameterArn(PROMETHEUS_TOKEN_PARAMETER)],
      'aps:QueryMetrics': [`arn:aws:aps:${REGION}:${ACCOUNT}:workspace/${AMP_WORKSPACE}`],
      ...Object.fromEntries(VPC_ACTIONS.map((action) => [action, ['*']])),
    },
  },
  promote: {
    module: 'functions/promote',
    actions: ['lambda:GetAlias', 'lambda:UpdateAlias', ...KVS_DRIVE_ACTIONS],
    bundledNotCalled: ROUTER_PREFLIGHT_ONLY,
  },
  rollBack: {
    module: 'functions/roll-back',
    actions: ['lambda:GetAlias', 'lambda:UpdateAlias', ...KVS_DRIVE_ACTIONS],
    bundledNotCalled: ROUTER_PREFLIGHT_ONLY,
  },
  // The gate's announcement, on the stack's bus; the task token it is invoked with goes nowhere.
  announceGate: {
    module: 'functions/announce-gate',
    actions: ['events:PutEvents'],
    resources: { 'events:PutEvents': [`arn:aws:events:${REGION}:${ACCOUNT}:event-bus/coalmine-${STAGE}`] },
  },
  // Invokes the request's hook functions, and only those hookFunctionPattern names: with no pattern, nothing.
  runHook: {
    module: 'functions/run-hook',
    actions: ['lambda:InvokeFunction'],
    grantedOnlyWith: { 'lambda:InvokeFunction': 'hookFunctionPattern' },
  },
  // Lists running and recently succeeded executions, reads their histories' heads and tails, rolls back
  // through the router (rollback, getWeight), stops. No CloudWatch call: the event says which alarm fired.
  alarmRollback: {
    module: 'functions/alarm-rollback',
    actions: [...Object.keys(ROLLOUT_CONTROL_RESOURCES), 'lambda:GetAlias', 'lambda:UpdateAlias', ...KVS_DRIVE_ACTIONS],
    // The on-failure destination: Lambda sends a failed event to the queue with the function's role.
    serviceActions: ['sqs:SendMessage'],
    bundledNotCalled: ROUTER_PREFLIGHT_ONLY,
    resources: { ...ROLLOUT_CONTROL_RESOURCES, 'sqs:SendMessage': [ALARM_ROLLBACK_FAILURE_QUEUE_ARN] },
  },
  // The ended executions and the running ones (ListExecutions), each one's request and end (DescribeExecution);
  // the rollback through the router; the Rollout Rolled Back event on the stack's bus. No StopExecution.
  reconcile: {
    module: 'functions/reconcile',
    actions: ['states:ListExecutions', 'states:DescribeExecution', 'lambda:GetAlias', 'lambda:UpdateAlias', ...KVS_DRIVE_ACTIONS, 'events:PutEvents'],
    bundledNotCalled: ROUTER_PREFLIGHT_ONLY,
    resources: {
      'states:ListExecutions': [STATE_MACHINE_ARN],
      'states:DescribeExecution': [EXECUTIONS_ARN],
      'events:PutEvents': [`arn:aws:events:${REGION}:${ACCOUNT}:event-bus/coalmine-${STAGE}`],
    },
  },
  // StartExecution under the artifact's name; on ExecutionAlreadyExists, DescribeExecution of that name.
  startFromArtifact: {
    module: 'functions/start-from-artifact',
    actions: ['states:DescribeExecution', 'states:StartExecution', 'ssm:GetParameter'],
    grantedOnlyWith: { 'ssm:GetParameter': 'artifactRulesParameter' },
    resources: {
      'states:StartExecution': [STATE_MACHINE_ARN],
      'states:DescribeExecution': [EXECUTIONS_ARN],
      'ssm:GetParameter': [ssmParameterArn(RULES_PARAMETER)],
    },
  },
  // The signing secret; status lists and reads executions; rollback and promote go through the router and
  // stop the execution; approve answers the gate (SendTaskSuccess/Failure on this state machine only); a slow
  // command is handed to an asynchronous invocation of itself.
  slackCommand: {
    module: 'functions/slack-command',
    actions: [
      ...Object.keys(ROLLOUT_CONTROL_RESOURCES),
      'states:DescribeExecution',
      'states:SendTaskSuccess',
      'states:SendTaskFailure',
      'lambda:GetAlias',
      'lambda:UpdateAlias',
      ...KVS_DRIVE_ACTIONS,
      'ssm:GetParameter',
      'lambda:InvokeFunction',
    ],
    bundledNotCalled: ROUTER_PREFLIGHT_ONLY,
    resources: {
      ...ROLLOUT_CONTROL_RESOURCES,
      'states:DescribeExecution': [EXECUTIONS_ARN],
      'states:SendTaskSuccess': [STATE_MACHINE_ARN],
      'states:SendTaskFailure': [STATE_MACHINE_ARN],
      'ssm:GetParameter': [ssmParameterArn(slackParameter('signing-secret'))],
      'lambda:InvokeFunction': [`arn:aws:lambda:${REGION}:${ACCOUNT}:function:coalmine-${STAGE}-slackCommand`],
    },
  },
  // The webhook URL or bot token; the last history event of an execution stopped from outside.
  slackNotify: {
    module: 'functions/slack-notify',
    actions: ['ssm:GetParameter', 'states:GetExecutionHistory'],
    resources: {
      'ssm:GetParameter': [ssmParameterArn(slackParameter('webhook-url')), ssmParameterArn(slackParameter('bot-token'))],
      'states:GetExecutionHistory': [EXECUTIONS_ARN],
    },
  },
};
const FUNCTION_KEYS = Object.keys(FUNCTIONS);
/** The state machine's Task functions; the others react to events (docs/triggers.md, docs/slack.md). */
const TASK_KEYS = ['preflight', 'shiftTraffic', 'verifyTraffic', 'analyzeCanary', 'promote', 'rollBack', 'announceGate', 'runHook'];

/** The framework's logical ID of a function's resources: preflight → PreflightLambdaFunction, PreflightLogGroup. */
const logicalId = (key: string, suffix: string): string => `${key[0]!.toUpperCase()}${key.slice(1)}${suffix}`;

/** Actions that CloudWatch Logs grants only on Resource "*"; Step Functions needs them to deliver its logs. */
const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:DescribeLogGroups',
  'logs:DescribeResourcePolicies',
  'logs:GetLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:UpdateLogDelivery',
];

const lambdaArn = (name: string, account = ACCOUNT, region = REGION): string =>
  `arn:aws:lambda:${region}:${account}:function:${name}`;
const alarmArn = (name: string): string => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`;
/** A KeyValueStore's ARN: CloudFront is global, so no region. */
const kvsArn = (id: string, account = ACCOUNT): string => `arn:aws:cloudfront::${account}:key-value-store/${id}`;
/** The ARN of the store the stack creates with edge=true, in the made-up account. */
const OWN_KVS_ARN = kvsArn(keyValueStoreId('EdgeKeyValueStore'));

interface Packaged {
  readonly params: readonly string[];
  readonly dir: string;
  readonly templatePath: string;
  readonly stack: TemplateReader;
}

async function packaged(params: readonly string[]): Promise<Packaged> {
  const { dir } = await packageStack(STAGE, params);
  const templatePath = join(dir, 'cloudformation-template-update-stack.json');
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as Template;
  return { params, dir, templatePath, stack: new TemplateReader(template) };
}

const given = (packaged: Packaged, param: string): boolean => packaged.params.some((p) => p.startsWith(`${param}=`));

/** A stack with a KeyValueStore to drive: its own (edge=true), or those of kvsPattern. Else no store at all. */
const drivesStores = (packaged: Packaged): boolean => packaged.params.includes('edge=true') || given(packaged, 'kvsPattern');

/**
 * What a function's role grants in a stack: the calls (less those whose parameter is not given, and the
 * KeyValueStore calls in a stack with no store) and the service's.
 */
function grantedActions(key: string, packaged: Packaged): string[] {
  const { actions, grantedOnlyWith = {}, serviceActions = [], signedCalls = [] } = FUNCTIONS[key]!;
  return [...actions, ...signedCalls, ...serviceActions]
    .filter((action) => grantedOnlyWith[action] === undefined || given(packaged, grantedOnlyWith[action]))
    .filter((action) => drivesStores(packaged) || !action.startsWith('cloudfront-keyvaluestore:'));
}

function roleOf(stack: TemplateReader, key: string): string {
  const role = stack.resource(logicalId(key, 'LambdaFunction')).Properties.Role as { 'Fn::GetAtt'?: [string, string] };
  const id = role['Fn::GetAtt']?.[0];
  if (id === undefined) throw new Error(`${key}'s Role is not a role of this stack: ${JSON.stringify(role)}`);
  return id;
}

function actionsOf(statements: readonly Statement[]): string[] {
  return [...new Set(statements.flatMap((s) => s.Action))].sort();
}

const resourcesFor = (statements: readonly Statement[], action: string): string[] =>
  statements.filter((s) => s.Action.includes(action)).flatMap((s) => s.Resource);

let defaults: Packaged;
let scoped: Packaged;
let edge: Packaged;
const allStacks = (): Packaged[] => [defaults, scoped, edge];

beforeAll(async () => {
  // All at once: each packaging has its own service, build and output folders.
  [defaults, scoped, edge] = await Promise.all([packaged([TARGET_PATTERN_PARAM]), packaged(SCOPED_PARAMS), packaged(EDGE_PARAMS)]);
}, 300_000);

afterAll(removeTempDirs);

describe('the functions', () => {
  it('are the eight task functions, the two triggers and the two Slack functions, on nodejs22.x and arm64, with their bundled handlers', () => {
    const functions = defaults.stack.resourcesOfType('AWS::Lambda::Function');
    expect(functions.map(([id]) => id).sort()).toEqual(FUNCTION_KEYS.map((key) => logicalId(key, 'LambdaFunction')).sort());
    for (const key of FUNCTION_KEYS) {
      const { Properties: p } = defaults.stack.resource(logicalId(key, 'LambdaFunction'));
      expect({ key, runtime: p.Runtime, architectures: p.Architectures, handler: p.Handler }).toEqual({
        key,
        runtime: 'nodejs22.x',
        architectures: ['arm64'],
        handler: `${FUNCTIONS[key]!.module}.handler`,
      });
      expect(p.FunctionName).toBe(`coalmine-${STAGE}-${key}`);
    }
  });

  it('put analyzeCanary in the VPC of analyzeSubnetIds and analyzeSecurityGroupIds only when given, and no other function', () => {
    expect(scoped.stack.evaluate(scoped.stack.resource('AnalyzeCanaryLambdaFunction').Properties.VpcConfig)).toEqual({
      SubnetIds: ANALYZE_SUBNETS,
      SecurityGroupIds: ANALYZE_SECURITY_GROUPS,
    });
    for (const { stack } of [defaults, edge]) expect(stack.evaluate(stack.resource('AnalyzeCanaryLambdaFunction').Properties)).not.toHaveProperty('VpcConfig');
    for (const key of FUNCTION_KEYS.filter((k) => k !== 'analyzeCanary')) {
      expect({ key, vpc: (scoped.stack.evaluate(scoped.stack.resource(logicalId(key, 'LambdaFunction')).Properties) as Record<string, unknown>).VpcConfig }).toEqual({ key, vpc: undefined });
    }
  });

  it('time out before the Task that calls them does', () => {
    for (const [state, { key, timeoutSeconds }] of Object.entries(lambdaTasks(readAsl()))) {
      const timeout = defaults.stack.resource(logicalId(key, 'LambdaFunction')).Properties.Timeout as number;
      expect({ state, key, below: timeout < timeoutSeconds }).toEqual({ state, key, below: true });
    }
  });

  it('log through Powertools, to log groups that expire', () => {
    for (const key of FUNCTION_KEYS) {
      expect(environmentOf(defaults.stack, key)).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'coalmine-ci', POWERTOOLS_LOG_LEVEL: 'INFO' });
      const logGroup = defaults.stack.resource(logicalId(key, 'LogGroup')).Properties;
      expect(logGroup.LogGroupName).toBe(`/aws/lambda/coalmine-${STAGE}-${key}`);
      expect(logGroup.RetentionInDays).toEqual(expect.any(Number));
    }
  });

  it('hold no secret in the environment: only the names of SSM parameters, which each role may read', () => {
    const SECRET_NAME = /SECRET|TOKEN|PASSWORD|KEY|CREDENTIAL|WEBHOOK/i;
    // A Slack bot or user token, a webhook URL, a signing secret (32 hex digits).
    const SECRET_VALUE = /xox[a-z]-|hooks\.slack\.com|^[0-9a-f]{32}$/i;
    for (const packaged of allStacks()) {
      for (const key of FUNCTION_KEYS) {
        const variables = environmentOf(packaged.stack, key);
        for (const { valueEnv } of [SLACK_SIGNING_SECRET, SLACK_WEBHOOK_URL, SLACK_BOT_TOKEN]) expect(variables[valueEnv]).toBeUndefined();
        for (const [name, value] of Object.entries(variables)) {
          expect({ key, name, secretLooking: SECRET_VALUE.test(String(value)) }).toEqual({ key, name, secretLooking: false });
          if (SECRET_NAME.test(name)) expect({ key, name, isParameterName: /_PARAMETER$/.test(name) }).toEqual({ key, name, isParameterName: true });
        }
        // Every parameter named in the environment is readable, and nothing else; but analyzeCanary's
        // Prometheus credentials, which the rollout request names (analysis.prometheus.auth.parameter).
        const requestNamed = key === 'analyzeCanary' && given(packaged, 'prometheusTokenParameter') ? [PROMETHEUS_TOKEN_PARAMETER] : [];
        const parameters = Object.entries(variables)
          .filter(([name, value]) => name.endsWith('_PARAMETER') && value !== '')
          .map(([, value]) => String(value))
          .concat(requestNamed);
        for (const name of parameters) expect(name).toMatch(/^\/coalmine\/ci\//);
        const readable = resourcesFor(packaged.stack.statements(roleOf(packaged.stack, key)), 'ssm:GetParameter');
        expect({ key, readable: readable.sort() }).toEqual({ key, readable: parameters.map(ssmParameterArn).sort() });
      }
    }
  });

  it('give the trigger and Slack functions the state machine, their settings, and the SSM parameters\' names', () => {
    const expected = (scopedStack: boolean): Record<string, Record<string, string>> => ({
      alarmRollback: { STATE_MACHINE_ARN, ALARM_ROLLBACK_GRACE_SECONDS: scopedStack ? '120' : '0' },
      reconcile: { STATE_MACHINE_ARN, EVENT_BUS_NAME: EVENT_BUS, RECONCILE_SWEEP_INTERVAL_SECONDS: '300' },
      startFromArtifact: { STATE_MACHINE_ARN, ARTIFACT_RULES_PARAMETER: scopedStack ? RULES_PARAMETER : '' },
      slackCommand: {
        STATE_MACHINE_ARN,
        [SLACK_SIGNING_SECRET.parameterEnv]: slackParameter('signing-secret'),
        [ALLOWED_USERS_ENV]: scopedStack ? 'U0ALICE123,U0BOB45678' : '',
        [ALLOWED_CHANNELS_ENV]: scopedStack ? 'C0DEPLOYS1' : '',
      },
      slackNotify: {
        STATE_MACHINE_ARN,
        [SLACK_WEBHOOK_URL.parameterEnv]: slackParameter('webhook-url'),
        [SLACK_BOT_TOKEN.parameterEnv]: slackParameter('bot-token'),
        [SLACK_CHANNEL_ENV]: scopedStack ? 'C0DEPLOYS1' : '',
      },
    });
    const COMMON = ['POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_LOG_LEVEL', 'NODE_OPTIONS'];
    for (const [packaged, scopedStack] of [[defaults, false], [scoped, true]] as const) {
      for (const [key, variables] of Object.entries(expected(scopedStack))) {
        const own = Object.fromEntries(Object.entries(environmentOf(packaged.stack, key)).filter(([name]) => !COMMON.includes(name)));
        expect({ key, own }).toEqual({ key, own: variables });
      }
    }
  });

  it('configure each trigger\'s and Slack function\'s timeout, memory and asynchronous invocations', () => {
    const settings = (key: string) => {
      const { Properties: p } = defaults.stack.resource(logicalId(key, 'LambdaFunction'));
      const config = defaults.stack.template.Resources[logicalId(key, 'LambdaEvConf')];
      return {
        timeout: p.Timeout,
        memory: p.MemorySize,
        async: config === undefined ? undefined : defaults.stack.evaluate(config.Properties),
      };
    };
    const longestTargetChangingTask = Math.max(
      ...Object.entries(readAsl().States)
        .filter(([name]) => TARGET_CHANGING_STATES.includes(name))
        .map(([, state]) => state.TimeoutSeconds ?? 300),
    );
    // It may wait out a Preflight or traffic write in flight at the stop (its Task's timeout and 5 s), after
    // the lists, histories and rollback: docs/triggers.md asks 360 s, above the 300 s a Task may have.
    expect(settings('alarmRollback')).toEqual({
      timeout: 360,
      memory: 256,
      async: {
        FunctionName: `<Ref ${logicalId('alarmRollback', 'LambdaFunction')}>`,
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: ALARM_ROLLBACK_FAILURE_QUEUE_ARN } },
      },
    });
    expect(settings('alarmRollback').timeout).toBeGreaterThan(Math.max(longestTargetChangingTask, 300) + 5);
    const queue = defaults.stack.resource('AlarmRollbackFailureQueue').Properties;
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(defaults.stack.outputs().AlarmRollbackFailureQueueUrl).toBe(
      `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/coalmine-${STAGE}-alarm-rollback-failures`,
    );

    expect(settings('startFromArtifact')).toEqual({ timeout: 30, memory: 256, async: undefined });
    expect(settings('slackNotify')).toEqual({ timeout: 30, memory: 256, async: undefined });
    // The hand-over to itself: no older than a command is acted on, retried (every step is safe to repeat).
    expect(settings('slackCommand')).toEqual({
      timeout: 120,
      memory: 512,
      async: {
        FunctionName: `<Ref ${logicalId('slackCommand', 'LambdaFunction')}>`,
        Qualifier: '$LATEST',
        DestinationConfig: {},
        MaximumEventAgeInSeconds: MAX_WORK_AGE_MS / 1000,
        MaximumRetryAttempts: 2,
      },
    });
  });
});

function environmentOf(stack: TemplateReader, key: string): Record<string, string> {
  const { Properties: p } = stack.resource(logicalId(key, 'LambdaFunction'));
  return stack.evaluate((p.Environment as { Variables: Record<string, unknown> }).Variables) as Record<string, string>;
}

interface AslState {
  Type: string;
  Resource?: unknown;
  TimeoutSeconds?: number;
  QueryLanguage?: string;
  Parameters?: unknown;
}
interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
}

const EVENT_BUS = `coalmine-${STAGE}`;
const PUT_EVENTS = 'arn:aws:states:::events:putEvents';
const WAIT_FOR_TASK_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** The ASL file, with the serverless variables it uses replaced by their values for this stage. */
function readAsl(): AslDefinition {
  const text = readFileSync(join(REPO, 'statemachines/canary.asl.yaml'), 'utf8');
  const values: Record<string, string> = { 'self:custom.eventBusName': EVENT_BUS };
  const resolved = text.replace(/\$\{([^}]+)\}/g, (whole, variable: string) => {
    const value = values[variable];
    if (value === undefined) throw new Error(`the ASL uses ${whole}: tell this test what it resolves to`);
    return value;
  });
  return parseYaml(resolved) as AslDefinition;
}

/** The Fn::GetAtt a Lambda Task names its function with: its Resource, or a gate's Parameters.FunctionName. */
function functionGetAtt(state: AslState): [string, string] | undefined {
  const named = state.Resource === WAIT_FOR_TASK_TOKEN ? (state.Parameters as { FunctionName?: unknown } | undefined)?.FunctionName : state.Resource;
  return (named as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
}

/** Lambda Task state → the serverless.yml function key it names with Fn::GetAtt, and its timeout. */
function lambdaTasks(asl: AslDefinition): Record<string, { key: string; timeoutSeconds: number }> {
  const tasks: Record<string, { key: string; timeoutSeconds: number }> = {};
  for (const [name, state] of Object.entries(asl.States)) {
    const getAtt = functionGetAtt(state);
    if (state.Type !== 'Task' || getAtt === undefined) continue;
    expect(getAtt[1]).toBe('Arn');
    tasks[name] = { key: getAtt[0], timeoutSeconds: state.TimeoutSeconds ?? Infinity };
  }
  return tasks;
}

describe('the state machine', () => {
  const stateMachine = () => defaults.stack.resource('CanaryStateMachine');

  it('is the ASL file, as a Standard state machine with a stable name, each Task on its function', () => {
    const asl = readAsl();
    const { Properties: p } = stateMachine();
    expect(p.StateMachineType).toBe('STANDARD');
    expect(p.StateMachineName).toBe(`coalmine-${STAGE}-canary`);

    // The framework writes the definition as a Fn::Sub whose variables are the functions' ARNs.
    const [text, variables] = (p.DefinitionString as { 'Fn::Sub': [string, Record<string, unknown>] })['Fn::Sub'];
    const deployed = JSON.parse(text) as AslDefinition;
    expect(Object.keys(deployed.States)).toEqual(Object.keys(asl.States));
    expect(deployed.StartAt).toBe(asl.StartAt);

    const expectedTasks = Object.fromEntries(
      Object.entries(lambdaTasks(asl)).map(([state, { key }]) => [state, logicalId(key, 'LambdaFunction')]),
    );
    const deployedTasks = Object.fromEntries(
      Object.entries(deployed.States)
        .filter(([, state]) => state.Type === 'Task' && state.Resource !== PUT_EVENTS)
        .map(([state, { Resource, Parameters }]) => {
          const named = Resource === WAIT_FOR_TASK_TOKEN ? (Parameters as { FunctionName: unknown }).FunctionName : Resource;
          const variable = /^\$\{(.+)\}$/.exec(String(named))?.[1] ?? '';
          return [state, (variables[variable] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]];
        }),
    );
    expect(deployedTasks).toEqual(expectedTasks);
    // One function may serve several Tasks (analyzeCanary: AnalyzeCanary and AnalyzeAfterPromotion; runHook: the three hooks).
    expect([...new Set(Object.values(expectedTasks))].sort()).toEqual(TASK_KEYS.map((k) => logicalId(k, 'LambdaFunction')).sort());

    // Everything else as written; serverless-step-functions only spells out the default query language.
    const comparable = (definition: AslDefinition): AslDefinition => ({
      ...definition,
      States: Object.fromEntries(
        Object.entries(definition.States).map(([name, { Resource, QueryLanguage, ...state }]) => {
          expect(QueryLanguage ?? 'JSONPath').toBe('JSONPath');
          // A gate's function was compared above too.
          if (Resource === WAIT_FOR_TASK_TOKEN) {
            const { FunctionName: _function, ...parameters } = state.Parameters as Record<string, unknown>;
            return [name, { ...state, Resource, Parameters: parameters } as AslState];
          }
          // Lambda Resources were compared above; service integrations stay as written.
          return [name, (typeof Resource === 'string' && !Resource.startsWith('${') ? { ...state, Resource } : state) as AslState];
        }),
      ),
    });
    expect(comparable(deployed)).toEqual(comparable(asl));
  });

  it('logs every state without its data (a gate\'s task token would be in it) to its own log group, and tells the stack output its ARN', () => {
    const { Properties: p } = stateMachine();
    expect(p.LoggingConfiguration).toEqual({
      Level: 'ALL',
      IncludeExecutionData: false,
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': ['CanaryStateMachineLogGroup', 'Arn'] } } }],
    });
    const logGroup = defaults.stack.resource('CanaryStateMachineLogGroup').Properties;
    expect(logGroup.LogGroupName).toBe(`/aws/vendedlogs/states/coalmine-${STAGE}-canary`);
    expect(logGroup.RetentionInDays).toEqual(expect.any(Number));
    expect(defaults.stack.evaluate(defaults.stack.template.Outputs?.CanaryStateMachineArn)).toMatchObject({
      Value: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:coalmine-${STAGE}-canary`,
    });
  });

  it('may invoke only the eight task functions, announce on the stack\'s event bus, and deliver its logs', () => {
    const roleId = ((stateMachine().Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'])[0];
    const role = defaults.stack.resource(roleId);
    expect(defaults.stack.evaluate(role.Properties.AssumeRolePolicyDocument)).toMatchObject({
      Statement: [{ Effect: 'Allow', Principal: { Service: `states.${REGION}.amazonaws.com` }, Action: 'sts:AssumeRole' }],
    });
    const statements = defaults.stack.statements(roleId);
    const announces = Object.values(readAsl().States).some((state) => state.Resource === PUT_EVENTS);
    expect(actionsOf(statements)).toEqual(
      ['lambda:InvokeFunction', ...(announces ? ['events:PutEvents'] : []), ...LOG_DELIVERY_ACTIONS].sort(),
    );

    const ours = TASK_KEYS.map((key) => lambdaArn(`coalmine-${STAGE}-${key}`));
    expect(resourcesFor(statements, 'lambda:InvokeFunction').sort()).toEqual(
      ours.flatMap((arn) => [arn, `${arn}:*`]).sort(),
    );
    expect(allows(statements, 'lambda:InvokeFunction', lambdaArn('checkout-api'))).toBe(false);
    expect(allows(statements, 'lambda:InvokeFunction', lambdaArn(`coalmine-${STAGE}-preflightX`))).toBe(false);
    expect(allows(statements, 'lambda:InvokeFunction', lambdaArn(`coalmine-${STAGE}-alarmRollback`))).toBe(false);

    if (announces) {
      const bus = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${EVENT_BUS}`;
      expect(resourcesFor(statements, 'events:PutEvents')).toEqual([bus]);
      expect(defaults.stack.evaluate({ Ref: 'CoalmineEventBus' })).toBe(EVENT_BUS);
    }
    for (const action of LOG_DELIVERY_ACTIONS) expect(resourcesFor(statements, action)).toEqual(['*']);
  });
});

/**
 * The sources whose code is in a handler's bundle, its dependencies' included: `all` of them, or those it
 * evaluates `atLoad` (through static imports only; what it imports lazily is evaluated on the first call that
 * needs it). Built alone, with each lazily imported module (the routers, shared/routers/registry.ts) in a
 * chunk of its own, as the packaging splits them, followed from the entry: without splitting, esbuild leaves
 * an init call in every module that imports a lazily imported module's dependencies, and such a module would
 * count as bundled with none of its code there. One build per handler, kept.
 */
const sourcesByModule = new Map<string, { all: string[]; atLoad: string[] }>();
function bundledSources(module: string, reach: 'all' | 'atLoad' = 'all'): string[] {
  const known = sourcesByModule.get(module);
  if (known !== undefined) return known[reach];
  const { metafile } = buildSync({
    entryPoints: [join(REPO, `${module}.ts`)],
    absWorkingDir: REPO,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    mainFields: ['module', 'main'],
    splitting: true,
    outdir: tempDir('coalmine-sources-'),
    logLevel: 'silent',
  });
  const sourcesOf = (path: string, seen: Set<string>, follows: (kind: string) => boolean): string[] => {
    if (seen.has(path)) return [];
    seen.add(path);
    const output = metafile.outputs[path]!;
    return [...Object.keys(output.inputs), ...output.imports.filter((i) => !i.external && follows(i.kind)).flatMap((i) => sourcesOf(i.path, seen, follows))];
  };
  const [entry] = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint === `${module}.ts`)!;
  const sources = {
    all: [...new Set(sourcesOf(entry, new Set(), () => true))],
    atLoad: [...new Set(sourcesOf(entry, new Set(), (kind) => kind === 'import-statement'))],
  };
  sourcesByModule.set(module, sources);
  return sources[reach];
}

describe('the functions\' roles', () => {
  it('are one per function, and the framework\'s shared role is not created', () => {
    const roles = FUNCTION_KEYS.map((key) => roleOf(defaults.stack, key));
    expect(new Set(roles).size).toBe(FUNCTION_KEYS.length);
    for (const role of roles) expect(defaults.stack.resource(role).Type).toBe('AWS::IAM::Role');
    expect(defaults.stack.template.Resources.IamRoleLambdaExecution).toBeUndefined();
    for (const role of roles) {
      expect(defaults.stack.evaluate(defaults.stack.resource(role).Properties.AssumeRolePolicyDocument)).toEqual({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      });
      expect(defaults.stack.resource(role).Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('grant no wildcard actions, in any role of the stack', () => {
    for (const { stack } of allStacks()) {
      for (const [id] of stack.resourcesOfType('AWS::IAM::Role')) {
        const statements = stack.statements(id);
        expect({ id, wildcards: actionsOf(statements).filter((a) => a.includes('*')) }).toEqual({ id, wildcards: [] });
        expect({ id, denies: statements.filter((s) => s.Effect !== 'Allow') }).toEqual({ id, denies: [] });
      }
    }
  });

  it.each(FUNCTION_KEYS)('grant %s exactly the calls its code makes, and its own logs', (key) => {
    for (const packaged of allStacks()) {
      const statements = packaged.stack.statements(roleOf(packaged.stack, key));
      expect({ key, actions: actionsOf(statements) }).toEqual({ key, actions: [...grantedActions(key, packaged), ...LOG_ACTIONS].sort() });
      for (const action of grantedActions(key, packaged)) {
        const resources = FUNCTIONS[key]!.resources?.[action];
        if (resources !== undefined) expect({ key, action, on: resourcesFor(statements, action).sort() }).toEqual({ key, action, on: [...resources].sort() });
      }
    }
    const statements = defaults.stack.statements(roleOf(defaults.stack, key));
    const ownLogGroup = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/coalmine-${STAGE}-${key}:*`;
    for (const action of LOG_ACTIONS) expect(resourcesFor(statements, action)).toEqual([ownLogGroup]);
    const otherKey = key === 'preflight' ? 'rollBack' : 'preflight';
    expect(allows(statements, 'logs:PutLogEvents', `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/coalmine-${STAGE}-${otherKey}:log-stream:x`)).toBe(false);
  });

  const routerLambdaActionsOf = (key: string): string[] => FUNCTIONS[key]!.actions.filter((a) => ROUTER_LAMBDA_ACTIONS.includes(a));

  it('never let a role update every function: targetFunctionPattern has no default, and the packaging stops without it', async () => {
    // Refused while the variables resolve, before any bundling.
    const error = await packageStack(STAGE, []).then(
      () => new Error('packaged'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toContain('the targetFunctionPattern parameter is not set');
    expect(error.message).toContain('--param="targetFunctionPattern=checkout*"');
    for (const { stack } of allStacks()) {
      for (const [id] of stack.resourcesOfType('AWS::IAM::Role')) {
        const statements = stack.statements(id);
        expect({ id, everyFunction: allows(statements, 'lambda:UpdateAlias', lambdaArn('payments:live')) }).toEqual({ id, everyFunction: false });
      }
    }
  }, 120_000);

  it('scope the Lambda calls to targetFunctionPattern, in this account and region only', () => {
    for (const key of FUNCTION_KEYS) {
      const statements = scoped.stack.statements(roleOf(scoped.stack, key));
      for (const action of routerLambdaActionsOf(key)) {
        expect(allows(statements, action, lambdaArn('checkout', '210987654321'))).toBe(false);
        expect(allows(statements, action, lambdaArn('checkout', ACCOUNT, 'eu-west-1'))).toBe(false);
        expect(resourcesFor(statements, action).sort()).toEqual([lambdaArn('checkout*'), lambdaArn('checkout*:*')]);
        for (const allowed of ['checkout', 'checkout-api', 'checkout-api:live', 'checkout-api:42']) {
          expect({ action, allowed, granted: allows(statements, action, lambdaArn(allowed)) }).toEqual({ action, allowed, granted: true });
        }
        for (const refused of ['payments', 'payments:live', 'my-checkout:live']) {
          expect({ action, refused, granted: allows(statements, action, lambdaArn(refused)) }).toEqual({ action, refused, granted: false });
        }
      }
    }
  });

  it('let runHook invoke no function at all by default, and only the hookFunctionPattern functions when it is given', () => {
    expect(resourcesFor(defaults.stack.statements(roleOf(defaults.stack, 'runHook')), 'lambda:InvokeFunction')).toEqual([]);
    const statements = scoped.stack.statements(roleOf(scoped.stack, 'runHook'));
    expect(actionsOf(statements)).toEqual(['lambda:InvokeFunction', ...LOG_ACTIONS].sort());
    expect(resourcesFor(statements, 'lambda:InvokeFunction').sort()).toEqual([lambdaArn('coalmine-hook-*'), lambdaArn('coalmine-hook-*:*')]);
    for (const allowed of ['coalmine-hook-smoke', 'coalmine-hook-smoke:live', 'coalmine-hook-smoke:3']) {
      expect({ allowed, granted: allows(statements, 'lambda:InvokeFunction', lambdaArn(allowed)) }).toEqual({ allowed, granted: true });
    }
    for (const refused of ['checkout', 'checkout:live', `coalmine-${STAGE}-rollBack`, 'my-coalmine-hook-smoke']) {
      expect({ refused, granted: allows(statements, 'lambda:InvokeFunction', lambdaArn(refused)) }).toEqual({ refused, granted: false });
    }
    expect(allows(statements, 'lambda:InvokeFunction', lambdaArn('coalmine-hook-smoke', '210987654321'))).toBe(false);
    // Only runHook may invoke the hooks: no other role grants them.
    for (const key of FUNCTION_KEYS.filter((k) => k !== 'runHook')) {
      expect({ key, granted: allows(scoped.stack.statements(roleOf(scoped.stack, key)), 'lambda:InvokeFunction', lambdaArn('coalmine-hook-smoke')) }).toEqual({ key, granted: false });
    }
  });

  it('refuse a hookFunctionPattern of "*" at packaging, saying what to give instead', async () => {
    await expect(packageStack(STAGE, ['hookFunctionPattern=*'])).rejects.toThrow(
      'the hookFunctionPattern parameter is "*", which matches every function in the account; name the hook functions, e.g. --param="hookFunctionPattern=coalmine-hook-*"',
    );
  }, 120_000);

  it('read every alarm by default, on Resource "*" so that composite alarms are returned too', () => {
    for (const key of ['preflight', 'analyzeCanary']) {
      const statements = defaults.stack.statements(roleOf(defaults.stack, key));
      expect(resourcesFor(statements, 'cloudwatch:DescribeAlarms')).toEqual(['*']);
    }
  });

  it('read only the alarms of alarmNamePattern when it is given', () => {
    for (const key of ['preflight', 'analyzeCanary']) {
      const statements = scoped.stack.statements(roleOf(scoped.stack, key));
      expect(resourcesFor(statements, 'cloudwatch:DescribeAlarms')).toEqual([alarmArn('checkout-*')]);
      expect(allows(statements, 'cloudwatch:DescribeAlarms', alarmArn('checkout-errors'))).toBe(true);
      expect(allows(statements, 'cloudwatch:DescribeAlarms', alarmArn('payments-errors'))).toBe(false);
    }
  });

  const kvsActionsOf = (key: string): string[] =>
    FUNCTIONS[key]!.actions.filter((a) => a.startsWith('cloudfront-keyvaluestore:'));

  it('let the KeyValueStore calls reach no store by default, without the edge: no statement grants them', () => {
    for (const key of FUNCTION_KEYS) {
      const statements = defaults.stack.statements(roleOf(defaults.stack, key));
      expect({ key, kvs: actionsOf(statements).filter((a) => a.startsWith('cloudfront-keyvaluestore:')) }).toEqual({ key, kvs: [] });
    }
  });

  it('with the edge on and the default kvsPattern, reach only the store the stack creates', () => {
    for (const key of FUNCTION_KEYS) {
      const statements = edge.stack.statements(roleOf(edge.stack, key));
      for (const action of kvsActionsOf(key)) {
        expect(resourcesFor(statements, action)).toEqual([OWN_KVS_ARN]);
        expect({ key, action, other: allows(statements, action, kvsArn(CHECKOUT_KVS_ID)) }).toEqual({ key, action, other: false });
      }
    }
  });

  it('scope the KeyValueStore calls to kvsPattern, plus the stack\'s own store when the edge is on', () => {
    for (const key of FUNCTION_KEYS) {
      const statements = scoped.stack.statements(roleOf(scoped.stack, key));
      for (const action of kvsActionsOf(key)) {
        expect(resourcesFor(statements, action).sort()).toEqual([OWN_KVS_ARN, kvsArn(CHECKOUT_KVS_ID)].sort());
        expect(allows(statements, action, kvsArn(CHECKOUT_KVS_ID))).toBe(true);
        expect(allows(statements, action, OWN_KVS_ARN)).toBe(true);
        expect(allows(statements, action, kvsArn('8aa76c93-3198-462c-aaf6-0123456789ab'))).toBe(false);
      }
    }
  });

  it('reach only this state machine and its executions, and only the Slack function\'s own invocation', () => {
    const execution = (machine: string, name = 'checkout-42') => `arn:aws:states:${REGION}:${ACCOUNT}:execution:${machine}:${name}`;
    const stateMachine = (machine: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${machine}`;
    for (const key of FUNCTION_KEYS) {
      const statements = defaults.stack.statements(roleOf(defaults.stack, key));
      for (const action of FUNCTIONS[key]!.actions.filter((a) => a.startsWith('states:'))) {
        const onStateMachine = ['states:ListExecutions', 'states:StartExecution', 'states:SendTaskSuccess', 'states:SendTaskFailure'];
        const ours = onStateMachine.includes(action) ? STATE_MACHINE_ARN : execution(`coalmine-${STAGE}-canary`);
        const theirs =
          ours === STATE_MACHINE_ARN
            ? [stateMachine('payments-etl'), stateMachine(`coalmine-${STAGE}-canaryX`), stateMachine('coalmine-prod-canary')]
            : [execution('payments-etl'), execution(`coalmine-${STAGE}-canaryX`), execution('coalmine-prod-canary')];
        expect({ key, action, ours: allows(statements, action, ours) }).toEqual({ key, action, ours: true });
        for (const arn of theirs) expect({ key, action, arn, granted: allows(statements, action, arn) }).toEqual({ key, action, arn, granted: false });
      }
    }
    const slack = defaults.stack.statements(roleOf(defaults.stack, 'slackCommand'));
    expect(allows(slack, 'lambda:InvokeFunction', lambdaArn(`coalmine-${STAGE}-slackCommand`))).toBe(true);
    // The function ARN is built as a string (a GetAtt would be circular): it must name the function the framework creates.
    expect(defaults.stack.resource(logicalId('slackCommand', 'LambdaFunction')).Properties.FunctionName).toBe(`coalmine-${STAGE}-slackCommand`);
    for (const other of ['checkout-api', `coalmine-${STAGE}-rollBack`, `coalmine-${STAGE}-slackCommand:live`]) {
      expect({ other, granted: allows(slack, 'lambda:InvokeFunction', lambdaArn(other)) }).toEqual({ other, granted: false });
    }
  });

  it('cover every AWS call the bundled code can make, and nothing it cannot', () => {
    // The SDK commands that the sources in each handler's bundle import, as IAM actions.
    const IAM_PREFIX: Record<string, string> = {
      lambda: 'lambda',
      cloudwatch: 'cloudwatch',
      sfn: 'states',
      eventbridge: 'events',
      ssm: 'ssm',
      'cloudfront-keyvaluestore': 'cloudfront-keyvaluestore',
    };
    // Where the IAM action is not named after the API operation (Lambda's Invoke is lambda:InvokeFunction).
    const IAM_ACTION: Record<string, string> = { 'lambda:Invoke': 'lambda:InvokeFunction' };
    const callsIn = (file: string): string[] => {
      const source = readFileSync(join(REPO, file), 'utf8');
      return [...source.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"]@aws-sdk\/client-([a-z0-9-]+)['"]/g)].flatMap(([, names, client]) => {
        const prefix = IAM_PREFIX[client!];
        if (prefix === undefined) throw new Error(`${file} uses @aws-sdk/client-${client}: add its IAM prefix to this test`);
        return names!
          .split(',')
          .map((name) => name.trim().replace(/^type\s+/, ''))
          // A command, or an SDK paginator (paginateListExecutions sends ListExecutions).
          .filter((name) => /^[A-Z]\w*Command$/.test(name) || /^paginate[A-Z]\w*$/.test(name))
          .map((name) => `${prefix}:${name.replace(/Command$/, '').replace(/^paginate/, '')}`)
          .map((call) => IAM_ACTION[call] ?? call);
      });
    };
    for (const key of FUNCTION_KEYS) {
      const { module, actions, bundledNotCalled = [] } = FUNCTIONS[key]!;
      const calls = [...new Set(bundledSources(module).filter((file) => !file.includes('node_modules/')).flatMap(callsIn))].sort();
      // Granted and not in the bundle: more than the code needs. In the bundle and neither granted nor
      // known to be unreachable from this handler: AccessDenied in AWS. Either way, fix serverless.yml
      // (or, for a call this handler cannot reach, bundledNotCalled above, saying why).
      expect({ key, calls }).toEqual({ key, calls: [...new Set([...actions, ...bundledNotCalled])].sort() });
    }
  });
});

type EventPattern = { [field: string]: Array<string | { prefix: string }> | EventPattern };

interface DeliveryRule {
  readonly id: string;
  /** "default", or the bus's name. */
  readonly bus: string;
  readonly pattern: EventPattern;
  readonly key: string;
}

/** Every EventBridge rule CloudFormation creates, with the function it invokes (each rule has one target). */
/** The event rules (a schedule has no pattern: scheduleOf). */
function rulesOf(stack: TemplateReader): DeliveryRule[] {
  return stack.resourcesOfType('AWS::Events::Rule').filter(([, { Properties: p }]) => p.ScheduleExpression === undefined).map(([id, { Properties: p }]) => {
    const targets = p.Targets as Array<{ Arn: { 'Fn::GetAtt'?: [string, string] } }>;
    expect({ id, targets: targets.length, state: p.State }).toEqual({ id, targets: 1, state: 'ENABLED' });
    const functionId = targets[0]!.Arn['Fn::GetAtt']?.[0] ?? '';
    const key = FUNCTION_KEYS.find((k) => logicalId(k, 'LambdaFunction') === functionId);
    if (key === undefined) throw new Error(`rule ${id} targets ${JSON.stringify(targets[0])}, not a function of this stack`);
    const bus = p.EventBusName === undefined ? 'default' : String(stack.evaluate(p.EventBusName));
    return { id, bus, pattern: stack.evaluate(p.EventPattern) as EventPattern, key };
  });
}

/**
 * EventBridge's matching for the patterns this stack uses: every field of the pattern must be in the event,
 * a list matches when the event's value (or any of its values) is in it or starts with one of its
 * `{ prefix }` filters, an object recurses. Other content filters (anything-but, numeric, …) are refused
 * rather than guessed at.
 */
function matches(pattern: EventPattern, event: unknown): boolean {
  return Object.entries(pattern).every(([field, expected]) => {
    const value = (event as Record<string, unknown> | null | undefined)?.[field];
    if (!Array.isArray(expected)) return typeof value === 'object' && value !== null && matches(expected, value);
    const matchesItem = (item: unknown) => (filter: string | { prefix: string }): boolean => {
      if (typeof filter === 'string') return item === filter;
      if (Object.keys(filter).join() !== 'prefix') throw new Error(`the test does not match this content filter: ${JSON.stringify(filter)}`);
      return typeof item === 'string' && item.startsWith(filter.prefix);
    };
    return (Array.isArray(value) ? value : [value]).some((item) => expected.some(matchesItem(item)));
  });
}

/** The functions an event put on `bus` reaches, sorted. */
const receivers = (stack: TemplateReader, event: unknown, bus = 'default'): string[] =>
  [...new Set(rulesOf(stack).filter((rule) => rule.bus === bus && matches(rule.pattern, event)).map((rule) => rule.key))].sort();

const ALARM_PATTERN = { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { state: { value: ['ALARM'] } } };
const LAMBDA_VERSION_PATTERN = {
  source: ['aws.lambda'],
  'detail-type': ['AWS API Call via CloudTrail'],
  detail: { eventSource: ['lambda.amazonaws.com'], eventName: [{ prefix: ARTIFACT_EVENT_TYPES.lambda.eventNamePrefix }] },
};
const ECR_PUSH_PATTERN = { source: ['aws.ecr'], 'detail-type': ['ECR Image Action'], detail: { 'action-type': ['PUSH'], result: ['SUCCESS'] } };
const S3_OBJECT_PATTERN = { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: ARTIFACT_BUCKETS } } };
const LIFECYCLE_PATTERN = {
  source: ['coalmine'],
  'detail-type': ['Rollout Started', 'Rollout Step Analyzed', 'Rollout Awaiting Approval', 'Rollout Gate Passed', 'Rollout Promoted', 'Rollout Rolled Back', 'Rollout Failed'],
};
const ENDED_PATTERN = {
  source: ['aws.states'],
  'detail-type': ['Step Functions Execution Status Change'],
  detail: { status: ['ABORTED', 'TIMED_OUT', 'FAILED'], stateMachineArn: [STATE_MACHINE_ARN] },
};
const STOPPED_PATTERN = {
  source: ['aws.states'],
  'detail-type': ['Step Functions Execution Status Change'],
  detail: { status: ['ABORTED', 'TIMED_OUT'], stateMachineArn: [STATE_MACHINE_ARN] },
};

describe('the events', () => {
  const byFunction = (stack: TemplateReader): Record<string, Array<{ bus: string; pattern: EventPattern }>> => {
    const rules: Record<string, Array<{ bus: string; pattern: EventPattern }>> = {};
    for (const { key, bus, pattern } of rulesOf(stack)) (rules[key] ??= []).push({ bus, pattern });
    for (const list of Object.values(rules)) list.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    return rules;
  };
  const sorted = <T>(list: T[]): T[] => list.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const onDefault = (pattern: object) => ({ bus: 'default', pattern });

  it('are these rules, by default: alarms, lifecycle and stopped executions; artifact triggers only when asked for', () => {
    expect(byFunction(defaults.stack)).toEqual({
      alarmRollback: [onDefault(ALARM_PATTERN)],
      reconcile: [onDefault(ENDED_PATTERN)],
      slackNotify: sorted([{ bus: EVENT_BUS, pattern: LIFECYCLE_PATTERN }, onDefault(STOPPED_PATTERN)]),
    });
    expect(byFunction(edge.stack).startFromArtifact).toEqual(sorted([onDefault(LAMBDA_VERSION_PATTERN), onDefault(ECR_PUSH_PATTERN)]));
    // The lifecycle rule names every event the state machine announces (shared/lifecycle.ts, the ASL), and announceGate's.
    expect([...LIFECYCLE_PATTERN['detail-type']].sort()).toEqual([...LIFECYCLE_DETAIL_TYPES].sort());
    const announced = Object.values(readAsl().States).flatMap(
      (state) => ((state as { Parameters?: { Entries?: Array<{ DetailType: string }> } }).Parameters?.Entries ?? []).map((e) => e.DetailType),
    );
    expect([...new Set([...announced, AWAITING_APPROVAL])].sort()).toEqual([...LIFECYCLE_DETAIL_TYPES].sort());
  });

  it('include one schedule: the reconciler\'s sweep every 5 minutes, at least every Task\'s longest timeout', () => {
    const schedules = defaults.stack.resourcesOfType('AWS::Events::Rule').filter(([, { Properties: p }]) => p.ScheduleExpression !== undefined);
    expect(schedules.map(([, { Properties: p }]) => [p.ScheduleExpression, (p.Targets as Array<{ Arn: { 'Fn::GetAtt': [string] } }>)[0]!.Arn['Fn::GetAtt'][0]])).toEqual([
      ['rate(5 minutes)', 'ReconcileLambdaFunction'],
    ]);
    expect(environmentOf(defaults.stack, 'reconcile').RECONCILE_SWEEP_INTERVAL_SECONDS).toBe(String(5 * 60));
  });

  it('are the S3 rule for artifactBuckets, and no Lambda or ECR rule, with artifactTriggers=false', () => {
    expect(byFunction(scoped.stack).startFromArtifact).toEqual([onDefault(S3_OBJECT_PATTERN)]);
    expect(byFunction(edge.stack).startFromArtifact).toEqual(sorted([onDefault(LAMBDA_VERSION_PATTERN), onDefault(ECR_PUSH_PATTERN)]));
  });

  it('each let EventBridge invoke their function, from that rule only', () => {
    for (const { stack } of allStacks()) {
      const permissions = stack
        .resourcesOfType('AWS::Lambda::Permission')
        .map(([, { Properties: p }]) => stack.evaluate(p) as Record<string, string>)
        .filter((p) => p.Principal === 'events.amazonaws.com');
      // The event rules and the schedules (reconcile's sweep).
      const schedules = stack
        .resourcesOfType('AWS::Events::Rule')
        .filter(([, { Properties: p }]) => p.ScheduleExpression !== undefined)
        .map(([id]) => ({ id, key: 'reconcile' }));
      const expected = [...rulesOf(stack), ...schedules].map(({ id, key }) => ({
        FunctionName: lambdaArn(`coalmine-${STAGE}-${key}`),
        SourceArn: stack.evaluate({ 'Fn::GetAtt': [id, 'Arn'] }),
      }));
      expect(sorted(permissions.map(({ FunctionName, SourceArn, Action }) => ({ FunctionName, SourceArn, Action })))).toEqual(
        sorted(expected.map((e) => ({ ...e, Action: 'lambda:InvokeFunction' }))),
      );
    }
    // The stack bus's rule: rule/<bus>/<name>, not rule/<name> nor rule/<bus ARN>/<name>.
    const lifecycle = rulesOf(defaults.stack).find((rule) => rule.bus !== 'default')!;
    expect(defaults.stack.evaluate({ 'Fn::GetAtt': [lifecycle.id, 'Arn'] })).toBe(
      `arn:aws:events:${REGION}:${ACCOUNT}:rule/${EVENT_BUS}/coalmine-${STAGE}-slackNotify-rule-1`,
    );
    // The bus is the stack's own; the framework creates no other.
    expect(defaults.stack.resourcesOfType('AWS::Events::EventBus').map(([id]) => id)).toEqual(['CoalmineEventBus']);
  });

  // Real events, as AWS sends them (test/fixtures/eventbridge): which function each one reaches.
  const FIXTURES = join(REPO, 'test/fixtures/eventbridge');
  const fixture = (path: string): unknown => JSON.parse(readFileSync(join(FIXTURES, path), 'utf8'));
  const fixturePaths = readdirSync(FIXTURES, { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('.json')).sort();
  // defaults: artifact triggers off; scoped: off, with buckets; edge: artifactTriggers=true, no buckets.
  const ROUTES: Record<string, { defaults: string[]; scoped: string[]; edge: string[] }> = {
    'aws.cloudwatch/alarm-state-change-to-alarm.json': { defaults: ['alarmRollback'], scoped: ['alarmRollback'], edge: ['alarmRollback'] },
    'aws.cloudwatch/composite-alarm-to-alarm.json': { defaults: ['alarmRollback'], scoped: ['alarmRollback'], edge: ['alarmRollback'] },
    'aws.cloudwatch/alarm-state-change-to-ok.json': { defaults: [], scoped: [], edge: [] },
    // Executions of the dev stage's state machine: no rule of this (ci) stack reacts to them.
    'aws.states/execution-aborted-console.json': { defaults: [], scoped: [], edge: [] },
    'aws.states/execution-timed-out.json': { defaults: [], scoped: [], edge: [] },
    'aws.ecr/image-push.json': { defaults: [], scoped: [], edge: ['startFromArtifact'] },
    'aws.ecr/image-push-untagged.json': { defaults: [], scoped: [], edge: ['startFromArtifact'] },
    'aws.ecr/image-push-failed.json': { defaults: [], scoped: [], edge: [] },
    'aws.ecr/image-delete.json': { defaults: [], scoped: [], edge: [] },
    'aws.lambda/publish-version.json': { defaults: [], scoped: [], edge: ['startFromArtifact'] },
    // The rule passes a failed call (errorCode, no responseElements); the handler ignores it.
    'aws.lambda/publish-version-failed.json': { defaults: [], scoped: [], edge: ['startFromArtifact'] },
    'aws.s3/object-created.json': { defaults: [], scoped: ['startFromArtifact'], edge: [] },
    'aws.s3/object-created-multipart-versioned.json': { defaults: [], scoped: ['startFromArtifact'], edge: [] },
  };

  it('route every event fixture to the functions that handle it', () => {
    expect(fixturePaths).toEqual(Object.keys(ROUTES).sort());
    for (const [path, expected] of Object.entries(ROUTES)) {
      const event = fixture(path);
      expect({
        path,
        defaults: receivers(defaults.stack, event),
        scoped: receivers(scoped.stack, event),
        edge: receivers(edge.stack, event),
      }).toEqual({ path, ...expected });
    }
    // A PublishVersion of a later API version (CloudTrail's name carries the version) still arrives;
    // another Publish call does not.
    const published = fixture('aws.lambda/publish-version.json') as { detail: Record<string, unknown> };
    expect(receivers(edge.stack, { ...published, detail: { ...published.detail, eventName: 'PublishVersion20300101' } })).toEqual(['startFromArtifact']);
    expect(receivers(edge.stack, { ...published, detail: { ...published.detail, eventName: 'PublishLayerVersion20181031' } })).toEqual([]);
    // An object in a bucket that is not named reaches nothing.
    const other = fixture('aws.s3/object-created.json') as { detail: { bucket: { name: string } } };
    expect(receivers(scoped.stack, { ...other, detail: { ...other.detail, bucket: { name: 'someone-elses-bucket' } } })).toEqual([]);
  });

  it('bring slackNotify the lifecycle events from the stack\'s bus, and this state machine\'s stopped or timed-out executions', () => {
    const lifecycle = (detailType: string) => ({ source: 'coalmine', 'detail-type': detailType, detail: {} });
    for (const detailType of LIFECYCLE_DETAIL_TYPES) {
      expect(receivers(defaults.stack, lifecycle(detailType), EVENT_BUS)).toEqual(['slackNotify']);
      expect(receivers(defaults.stack, lifecycle(detailType))).toEqual([]);
    }
    const statusChange = (status: string, stateMachineArn = STATE_MACHINE_ARN) => ({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: { status, stateMachineArn, executionArn: `${EXECUTIONS_ARN.slice(0, -1)}checkout-42` },
    });
    expect(receivers(defaults.stack, statusChange('ABORTED'))).toEqual(['reconcile', 'slackNotify']);
    expect(receivers(defaults.stack, statusChange('TIMED_OUT'))).toEqual(['reconcile', 'slackNotify']);
    // The state machine announces a failure itself; the reconciler looks at its target all the same.
    expect(receivers(defaults.stack, statusChange('FAILED'))).toEqual(['reconcile']);
    for (const status of ['RUNNING', 'SUCCEEDED']) expect(receivers(defaults.stack, statusChange(status))).toEqual([]);
    expect(receivers(defaults.stack, statusChange('ABORTED', `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:payments-etl`))).toEqual([]);
  });
});

describe('the Slack endpoint', () => {
  const ROUTE_KEYS = ['POST /slack/commands', 'POST /slack/interactions'];

  it('is an HTTP API with the two routes, both on slackCommand, payload 2.0', () => {
    for (const { stack } of allStacks()) {
      expect(stack.resourcesOfType('AWS::ApiGatewayV2::Api')).toHaveLength(1);
      const routes = stack.resourcesOfType('AWS::ApiGatewayV2::Route').map(([, { Properties: p }]) => p);
      expect(routes.map((r) => r.RouteKey).sort()).toEqual(ROUTE_KEYS);
      const integrations = stack.resourcesOfType('AWS::ApiGatewayV2::Integration');
      expect(integrations).toHaveLength(1);
      const [integrationId, { Properties: integration }] = integrations[0]!;
      expect(stack.evaluate(integration)).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: lambdaArn(`coalmine-${STAGE}-slackCommand`),
        PayloadFormatVersion: '2.0',
      });
      for (const route of routes) expect(route.Target).toEqual({ 'Fn::Join': ['/', ['integrations', { Ref: integrationId }]] });
      // The base of the Request URLs docs/slack.md has the Slack app point at.
      expect(stack.outputs().HttpApiUrl).toBe(`https://${String(stack.evaluate({ Ref: 'HttpApi' }))}.execute-api.${REGION}.amazonaws.com`);
    }
  });

  it('has no authorizer: every request is authenticated in code, by Slack\'s signature', () => {
    // Slack cannot present credentials an authorizer would check; shared/slack/verify.ts checks the HMAC
    // of each request under the signing secret and the handler answers 401 to anything else.
    for (const { stack } of allStacks()) {
      expect(stack.resourcesOfType('AWS::ApiGatewayV2::Authorizer')).toEqual([]);
      for (const [id, { Properties: p }] of stack.resourcesOfType('AWS::ApiGatewayV2::Route')) {
        expect({ id, authorization: p.AuthorizationType ?? 'NONE', authorizer: p.AuthorizerId }).toEqual({ id, authorization: 'NONE', authorizer: undefined });
      }
    }
  });

  it('may invoke only slackCommand, from this API, and is throttled', () => {
    const permissions = defaults.stack
      .resourcesOfType('AWS::Lambda::Permission')
      .map(([, { Properties: p }]) => defaults.stack.evaluate(p) as Record<string, string>)
      .filter((p) => p.Principal === 'apigateway.amazonaws.com');
    expect(permissions).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: lambdaArn(`coalmine-${STAGE}-slackCommand`),
        Principal: 'apigateway.amazonaws.com',
        SourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${String(defaults.stack.evaluate({ Ref: 'HttpApi' }))}/*`,
      },
    ]);
    const stages = defaults.stack.resourcesOfType('AWS::ApiGatewayV2::Stage');
    expect(stages).toHaveLength(1);
    expect(stages[0]![1].Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: expect.any(Number), ThrottlingBurstLimit: expect.any(Number) });
  });
});

describe('the edge (edge=true)', () => {
  const EDGE_RESOURCES = ['EdgeKeyValueStore', 'EdgeFunction'];
  const EDGE_OUTPUTS = ['EdgeFunctionArn', 'EdgeKeyValueStoreArn'];
  const EDGE_NAME = `coalmine-${STAGE}-${REGION}`;
  const cloudFront = (stack: TemplateReader): string[] =>
    Object.keys(stack.template.Resources).filter((id) => stack.creates(id) && stack.resource(id).Type.startsWith('AWS::CloudFront::'));

  it('is absent by default: no CloudFront resource is created, and no edge output', () => {
    expect(cloudFront(defaults.stack)).toEqual([]);
    for (const id of EDGE_RESOURCES) expect({ id, created: defaults.stack.creates(id) }).toEqual({ id, created: false });
    expect(Object.keys(defaults.stack.outputs()).filter((name) => EDGE_OUTPUTS.includes(name))).toEqual([]);
  });

  it('creates a KeyValueStore named for the stage and region, and the edge function', () => {
    for (const { stack } of [edge, scoped]) {
      expect(cloudFront(stack).sort()).toEqual([...EDGE_RESOURCES].sort());
      const store = stack.resource('EdgeKeyValueStore');
      expect(store.Type).toBe('AWS::CloudFront::KeyValueStore');
      expect(store.Properties.Name).toBe(EDGE_NAME);
      expect(store.Properties.ImportSource).toBeUndefined();
    }
  });

  it('publishes the artefact the edge tests run (edge/x-deployment.js without comments), on cloudfront-js-2.0, with the store associated', () => {
    const source = readEdgeArtefact();
    for (const { stack } of [edge, scoped]) {
      const fn = stack.resource('EdgeFunction');
      expect(fn.Type).toBe('AWS::CloudFront::Function');
      expect(fn.Properties.Name).toBe(`${EDGE_NAME}-x-deployment`);
      expect(fn.Properties.AutoPublish).toBe(true);
      // Byte for byte the code test/edge runs: not a copy in the YAML, not touched by variable resolution.
      expect(fn.Properties.FunctionCode).toBe(source);
      const config = fn.Properties.FunctionConfig as { Runtime: string; KeyValueStoreAssociations: unknown };
      expect(config.Runtime).toBe('cloudfront-js-2.0');
      expect(config.KeyValueStoreAssociations).toEqual([{ KeyValueStoreARN: { 'Fn::GetAtt': ['EdgeKeyValueStore', 'Arn'] } }]);
      expect(stack.evaluate(config.KeyValueStoreAssociations)).toEqual([{ KeyValueStoreARN: OWN_KVS_ARN }]);
    }
  });

  it('outputs the store\'s ARN for rollout requests and the function\'s ARN for distributions', () => {
    for (const { stack } of [edge, scoped]) {
      expect(stack.outputs()).toMatchObject({
        EdgeKeyValueStoreArn: OWN_KVS_ARN,
        EdgeFunctionArn: `arn:aws:cloudfront::${ACCOUNT}:function/${EDGE_NAME}-x-deployment`,
      });
    }
  });

  it('stops the packaging when the edge or artifactTriggers parameter is neither true nor false', async () => {
    // Refused while the variables resolve, before any bundling: a few seconds. One packaging for both:
    // the framework reports every variable it cannot resolve.
    const error = await packageStack(STAGE, [TARGET_PATTERN_PARAM, 'edge=yes', 'artifactTriggers=maybe']).then(
      () => new Error('packaged'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toContain('the edge parameter is "yes"; give --param="edge=true" or --param="edge=false"');
    expect(error.message).toContain('Cannot resolve variable at "custom.artifactTriggers"');
  }, 120_000);
});

/** A function's package in the default stack, unzipped into a folder of its own: the handler's module and every file. */
function unpacked(key: string): { dir: string; entry: string; files: string[] } {
  const code = defaults.stack.resource(logicalId(key, 'LambdaFunction')).Properties.Code as { S3Key: string };
  const dir = tempDir(`coalmine-${key}-`);
  const entries = readZip(join(defaults.dir, basename(code.S3Key)));
  for (const entry of entries) {
    mkdirSync(dirname(join(dir, entry.name)), { recursive: true });
    writeFileSync(join(dir, entry.name), entry.read());
  }
  return { dir, entry: `${FUNCTIONS[key]!.module}.mjs`, files: entries.map((e) => e.name).sort() };
}

/**
 * The modules a built module imports, as the minified output writes them: statically (`from"./x.mjs"`,
 * `import"./x.mjs"`) and dynamically (`import("./x.mjs")`), relative to its folder. Read here without
 * esbuild, so that a fault in scripts/own-chunks.cjs, which the packaging uses, shows.
 */
const chunkImports = (source: string): string[] =>
  [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.\/[^"']+\.mjs)["']/g)].map((m) => m[1]!.slice(2));

describe('the packages', () => {
  it('hold each handler as a bundled ES module (.mjs), AWS SDK included, with exactly the chunks it reaches', () => {
    for (const key of FUNCTION_KEYS) {
      const { dir, entry, files } = unpacked(key);
      const reached = new Set<string>();
      const follow = (file: string): void => {
        if (reached.has(file)) return;
        reached.add(file);
        const source = readFileSync(join(dir, file), 'utf8');
        expect(source.startsWith("import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);")).toBe(true);
        const imported = [...source.matchAll(/(?:^|;)import\s*[^;]*?from\s*["']([^"']+)["']/gm)].map((m) => m[1]!);
        expect({ key, file, external: imported.filter((specifier) => !isBuiltin(specifier) && !specifier.startsWith('./')) }).toEqual({ key, file, external: [] });
        expect(source).toMatch(/sourceMappingURL=.+\.mjs\.map\s*$/);
        for (const chunk of chunkImports(source)) follow(posix.join(posix.dirname(file), chunk));
      };
      follow(entry);
      // Another function's chunk would be code this one never runs; a missing one, a failed import.
      expect({ key, files }).toEqual({ key, files: [...reached].flatMap((file) => [file, `${file}.map`]).sort() });
    }
  });

  it('split what a handler imports lazily into chunks it reads on first use, not at load', () => {
    const ROUTER_CHUNK = /^(lambda-alias|cloudfront-kvs)-[A-Z0-9]+\.mjs$/;
    for (const key of ['shiftTraffic', 'slackCommand']) {
      const { dir, entry } = unpacked(key);
      const chunks = chunksOf(join(dir, entry));
      const atLoad = chunks.atLoad.map((file) => basename(file));
      const all = chunks.all.map((file) => basename(file));
      expect({ key, routers: all.filter((file) => ROUTER_CHUNK.test(file)).length, atLoad: atLoad.filter((file) => ROUTER_CHUNK.test(file)) }).toEqual({ key, routers: 2, atLoad: [] });
    }
  });

  it('bundle only the AWS SDK clients whose calls the function makes', () => {
    // The signing name each client's code declares (defaultSigningName) → the IAM prefix of its calls.
    const PREFIX_OF_SIGNING_NAME: Record<string, string> = {
      lambda: 'lambda',
      monitoring: 'cloudwatch',
      states: 'states',
      events: 'events',
      ssm: 'ssm',
      'cloudfront-keyvaluestore': 'cloudfront-keyvaluestore',
    };
    // The clients the SDK's credential providers use (STS, SSO, sign-in), imported only when the
    // environment's credentials are not enough; Lambda gives a function its role's credentials.
    const CREDENTIAL_SIGNING_NAMES = ['awsssoportal', 'signin', 'sso-oauth', 'sts'];
    for (const key of FUNCTION_KEYS) {
      const { dir, files } = unpacked(key);
      const signingNames = files
        .filter((file) => file.endsWith('.mjs'))
        .flatMap((file) => [...readFileSync(join(dir, file), 'utf8').matchAll(/defaultSigningName:"([^"]+)"/g)].map((m) => m[1]!));
      const prefixes = [...new Set(signingNames.filter((name) => !CREDENTIAL_SIGNING_NAMES.includes(name)).map((name) => PREFIX_OF_SIGNING_NAME[name] ?? name))].sort();
      const { actions, bundledNotCalled = [] } = FUNCTIONS[key]!;
      const expected = [...new Set([...actions, ...bundledNotCalled].map((action) => action.split(':')[0]!))].sort();
      expect({ key, prefixes }).toEqual({ key, prefixes: expected });
    }
  });

  it('bundle zod without its other locales', () => {
    for (const key of FUNCTION_KEYS) {
      const locales = bundledSources(FUNCTIONS[key]!.module).filter((source) => /node_modules\/zod\/.*\/locales\//.test(source)).map((source) => basename(source));
      expect({ key, locales: locales.filter((file) => file !== 'en.js' && file !== 'index.js') }).toEqual({ key, locales: [] });
    }
  });

  it('load zod at their cold start only where every call is validated with the schemas', () => {
    // Why each of these loads the schemas at start: every call it handles is validated with them.
    const VALIDATING: Record<string, string> = {
      preflight: 'parses the rollout request of every execution with the request schema (shared/config/request.ts)',
      startFromArtifact: 'parses each event and the artifact rules (shared/artifacts/), and the request it builds from them',
    };
    for (const key of FUNCTION_KEYS) {
      const zodAtLoad = bundledSources(FUNCTIONS[key]!.module, 'atLoad').some((source) => source.includes('node_modules/zod/'));
      expect({ key, zodAtLoad, why: VALIDATING[key] }).toEqual({ key, zodAtLoad: key in VALIDATING, why: VALIDATING[key] });
    }
  });

  it('load in Node and export a handler function', async () => {
    const files = FUNCTION_KEYS.map((key) => {
      const { dir, entry } = unpacked(key);
      return join(dir, entry);
    });
    const script = 'for (const f of process.argv.slice(1)) console.log(typeof (await import(f)).handler);';
    const result = await run(process.execPath, ['--input-type=module', '-e', script, ...files], {
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_REGION: REGION },
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toEqual(FUNCTION_KEYS.map(() => 'function'));
  });

  it('carry source maps of coalmine\'s code only, which still map a failure to its TypeScript line', async () => {
    const { dir, entry, files } = unpacked('preflight');
    for (const map of files.filter((file) => file.endsWith('.map'))) {
      const { sources } = JSON.parse(readFileSync(join(dir, map), 'utf8')) as { sources: string[] };
      expect({ map, dependencies: sources.filter((source) => source.includes('node_modules/')) }).toEqual({ map, dependencies: [] });
    }
    // Where a request that is not one fails: the throw in parseRolloutRequest.
    const requestSource = readFileSync(join(REPO, 'shared', 'config', 'request.ts'), 'utf8').split('\n');
    const parseAt = requestSource.findIndex((line) => line.startsWith('export function parseRolloutRequest('));
    const throwLine = requestSource.findIndex((line, at) => at > parseAt && line.includes('throw new RolloutRequestInvalid(')) + 1;
    const script = [
      'const { handler } = await import(process.argv[1]);',
      "await handler({ request: {}, executionName: 'x', startedAt: '2025-01-01T00:00:00Z' }, { functionName: 'preflight', awsRequestId: 'r' })",
      '  .catch((error) => console.log(error.stack.split("\\n").slice(0, 2).join("\\n")));',
    ].join('\n');
    const result = await run(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script, join(dir, entry)], {
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_REGION: REGION },
    });
    const [message, frame] = result.stdout.trim().split('\n');
    expect(message).toMatch(/^RolloutRequestInvalid: The rollout request is invalid/);
    expect(frame).toMatch(new RegExp(`at parseRolloutRequest \\(.*/shared/config/request\\.ts:${throwLine}:\\d+\\)$`));
  });
});

describe('the dashboard', () => {
  it('is deployed by default, named for the stage, its queries on this stage\'s service and its region substituted', () => {
    const dashboard = defaults.stack.resource('CoalmineDashboard');
    expect(dashboard.Type).toBe('AWS::CloudWatch::Dashboard');
    expect(dashboard.Properties.DashboardName).toBe(`coalmine-${STAGE}`);
    const body = (dashboard.Properties.DashboardBody as { 'Fn::Sub': string })['Fn::Sub'];
    const parsed = JSON.parse(body) as { widgets: Array<{ properties: { region: string; metrics: Array<Array<{ expression: string }>> } }> };
    expect(parsed.widgets.length).toBeGreaterThan(5);
    for (const widget of parsed.widgets) {
      expect(widget.properties.region).toBe('${AWS::Region}');
      for (const [query] of widget.properties.metrics) expect(query!.expression).toContain(`WHERE service = 'coalmine-${STAGE}'`);
    }
  });

  it('is left out with dashboard=false', () => {
    expect(scoped.stack.resourcesOfType('AWS::CloudWatch::Dashboard')).toEqual([]);
  });
});

describe('cfn-lint', () => {
  const cfnLint = onPath('cfn-lint');
  const required = process.env.CI === 'true';
  if (cfnLint === undefined && !required) {
    console.warn('cfn-lint is not on PATH: skipping the cfn-lint checks of serverless.yml (with CI=true they fail)');
  }
  const lintIt = cfnLint === undefined && !required ? it.skip : it;

  /**
   * Accepted: W8003 ("Fn::Equals will always return true or false") on the conditions that compare a
   * parameter, already substituted at packaging, with a constant. Constant by design: EveryAlarm picks
   * Resource "*" for DescribeAlarms (composite alarms), EdgeEnabled creates the edge resources, NoKvsPattern
   * narrows the KVS permissions to the stack's own store when the edge is on, and to none without it, ArtifactTriggersEnabled and
   * ArtifactBucketsGiven create the artifact rules, ArtifactRulesInSsm the permission to read the rules,
   * AnalyzeInVpc, AmpWorkspaceGiven and PrometheusTokenGiven analyzeCanary's VPC and Prometheus permissions,
   * DashboardEnabled the metrics dashboard, HooksEnabled runHook's permission to invoke the hooks.
   */
  const PARAMETER_CONDITIONS = [
    'EveryAlarm',
    'EdgeEnabled',
    'NoKvsPattern',
    'ArtifactTriggersEnabled',
    'ArtifactBucketsGiven',
    'ArtifactRulesInSsm',
    'AnalyzeInVpc',
    'AmpWorkspaceGiven',
    'PrometheusTokenGiven',
    'DashboardEnabled',
    'HooksEnabled',
  ];
  /**
   * Also accepted: W1033 on analyzeCanary's VpcConfig, whose Fn::Split of the empty default parameters lint
   * resolves in the branch that AnalyzeInVpc does not take.
   */
  const accepted = (f: LintFinding): boolean =>
    (f.Rule.Id === 'W8003' && f.Location.Path[0] === 'Conditions' && PARAMETER_CONDITIONS.includes(String(f.Location.Path[1]))) ||
    (f.Rule.Id === 'W1033' && f.Location.Path.slice(0, 4).join('.') === 'Resources.AnalyzeCanaryLambdaFunction.Properties.VpcConfig');

  lintIt(
    'finds nothing wrong with the packaged templates',
    async () => {
      if (cfnLint === undefined) {
        throw new Error('cfn-lint is not on PATH, and CI=true requires it: install it (pip install cfn-lint) in the CI image');
      }
      const results = await Promise.all(allStacks().map(({ templatePath }) => lintTemplate(cfnLint, templatePath)));
      for (const result of results) {
        expect(result.findings.filter((f) => !accepted(f))).toEqual([]);
        expect([0, 4]).toContain(result.code);
      }
    },
    120_000,
  );
});
