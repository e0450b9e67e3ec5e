/**
 * `serverless package` turns serverless.yml into the stack a user deploys. This test packages it three
 * times (default parameters; scoped to the checkout functions and alarms and one KeyValueStore, with the
 * edge on; the edge on with default patterns), then checks what a reviewer of the stack would check: the
 * functions and the state machine, least-privilege roles, the edge resources, and the bundles.
 * No AWS credentials and no network: packaging is local.
 */
import { buildSync } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
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
const SCOPED_PARAMS = [
  'targetFunctionPattern=checkout*',
  'alarmNamePattern=checkout-*',
  `kvsPattern=${CHECKOUT_KVS_ID}`,
  'edge=true',
];
const EDGE_PARAMS = ['edge=true'];
const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/** The calls of the cloudfront-kvs router (shared/routers/cloudfront-kvs.ts) that read and write the store. */
const KVS_DRIVE_ACTIONS = [
  'cloudfront-keyvaluestore:DescribeKeyValueStore',
  'cloudfront-keyvaluestore:GetKey',
  'cloudfront-keyvaluestore:UpdateKeys',
];

/** Each task function: its handler module, and the AWS calls its code makes (shared/tasks.ts, routers, judges). */
const FUNCTIONS: Record<string, { module: string; actions: string[] }> = {
  // Takes the KVS lock and writes missing keys: read the ETag and keys, then one UpdateKeys batch.
  preflight: {
    module: 'functions/preflight',
    actions: ['cloudwatch:DescribeAlarms', 'lambda:GetAlias', 'lambda:GetFunctionConfiguration', ...KVS_DRIVE_ACTIONS],
  },
  shiftTraffic: { module: 'functions/shift-traffic', actions: ['lambda:GetAlias', 'lambda:UpdateAlias', ...KVS_DRIVE_ACTIONS] },
  // verifyWeight reads green_percentage back: GetKey only, no ETag.
  verifyTraffic: { module: 'functions/verify-traffic', actions: ['lambda:GetAlias', 'cloudfront-keyvaluestore:GetKey'] },
  // The judges only: no router call, although the router is in its bundle.
  analyzeCanary: { module: 'functions/analyze-canary', actions: ['cloudwatch:DescribeAlarms'] },
  promote: { module: 'functions/promote', actions: ['lambda:GetAlias', 'lambda:UpdateAlias', ...KVS_DRIVE_ACTIONS] },
  rollBack: { module: 'functions/roll-back', actions: ['lambda:GetAlias', 'lambda:UpdateAlias', ...KVS_DRIVE_ACTIONS] },
};
const FUNCTION_KEYS = Object.keys(FUNCTIONS);

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
  readonly dir: string;
  readonly templatePath: string;
  readonly stack: TemplateReader;
}

async function packaged(params: readonly string[]): Promise<Packaged> {
  const { dir } = await packageStack(STAGE, params);
  const templatePath = join(dir, 'cloudformation-template-update-stack.json');
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as Template;
  return { dir, templatePath, stack: new TemplateReader(template) };
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
  [defaults, scoped, edge] = await Promise.all([packaged([]), packaged(SCOPED_PARAMS), packaged(EDGE_PARAMS)]);
}, 300_000);

afterAll(removeTempDirs);

describe('the functions', () => {
  it('are the six task functions, on nodejs22.x and arm64, with their bundled handlers', () => {
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

  it('time out before the Task that calls them does', () => {
    for (const [state, { key, timeoutSeconds }] of Object.entries(lambdaTasks(readAsl()))) {
      const timeout = defaults.stack.resource(logicalId(key, 'LambdaFunction')).Properties.Timeout as number;
      expect({ state, key, below: timeout < timeoutSeconds }).toEqual({ state, key, below: true });
    }
  });

  it('log through Powertools, to log groups that expire, with no secrets in the environment', () => {
    for (const key of FUNCTION_KEYS) {
      const { Properties: p } = defaults.stack.resource(logicalId(key, 'LambdaFunction'));
      const variables = (p.Environment as { Variables: Record<string, string> }).Variables;
      expect(variables).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'coalmine', POWERTOOLS_LOG_LEVEL: 'INFO' });
      expect(Object.keys(variables).filter((name) => /SECRET|TOKEN|PASSWORD|KEY|CREDENTIAL/i.test(name))).toEqual([]);
      const logGroup = defaults.stack.resource(logicalId(key, 'LogGroup')).Properties;
      expect(logGroup.LogGroupName).toBe(`/aws/lambda/coalmine-${STAGE}-${key}`);
      expect(logGroup.RetentionInDays).toEqual(expect.any(Number));
    }
  });
});

interface AslState {
  Type: string;
  Resource?: unknown;
  TimeoutSeconds?: number;
  QueryLanguage?: string;
}
interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
}

const EVENT_BUS = `coalmine-${STAGE}`;
const PUT_EVENTS = 'arn:aws:states:::events:putEvents';

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

/** Lambda Task state → the serverless.yml function key its Resource names with Fn::GetAtt, and its timeout. */
function lambdaTasks(asl: AslDefinition): Record<string, { key: string; timeoutSeconds: number }> {
  const tasks: Record<string, { key: string; timeoutSeconds: number }> = {};
  for (const [name, state] of Object.entries(asl.States)) {
    const getAtt = (state.Resource as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
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
        .map(([state, { Resource }]) => {
          const variable = /^\$\{(.+)\}$/.exec(String(Resource))?.[1] ?? '';
          return [state, (variables[variable] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]];
        }),
    );
    expect(deployedTasks).toEqual(expectedTasks);
    expect(Object.values(expectedTasks).sort()).toEqual(FUNCTION_KEYS.map((k) => logicalId(k, 'LambdaFunction')).sort());

    // Everything else as written; serverless-step-functions only spells out the default query language.
    const comparable = (definition: AslDefinition): AslDefinition => ({
      ...definition,
      States: Object.fromEntries(
        Object.entries(definition.States).map(([name, { Resource, QueryLanguage, ...state }]) => {
          expect(QueryLanguage ?? 'JSONPath').toBe('JSONPath');
          // Lambda Resources were compared above; service integrations stay as written.
          return [name, (typeof Resource === 'string' && !Resource.startsWith('${') ? { ...state, Resource } : state) as AslState];
        }),
      ),
    });
    expect(comparable(deployed)).toEqual(comparable(asl));
  });

  it('logs every state, with its data, to its own log group, and tells the stack output its ARN', () => {
    const { Properties: p } = stateMachine();
    expect(p.LoggingConfiguration).toEqual({
      Level: 'ALL',
      IncludeExecutionData: true,
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': ['CanaryStateMachineLogGroup', 'Arn'] } } }],
    });
    const logGroup = defaults.stack.resource('CanaryStateMachineLogGroup').Properties;
    expect(logGroup.LogGroupName).toBe(`/aws/vendedlogs/states/coalmine-${STAGE}-canary`);
    expect(logGroup.RetentionInDays).toEqual(expect.any(Number));
    expect(defaults.stack.evaluate(defaults.stack.template.Outputs?.CanaryStateMachineArn)).toMatchObject({
      Value: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:coalmine-${STAGE}-canary`,
    });
  });

  it('may invoke only the six functions, announce on the stack\'s event bus, and deliver its logs', () => {
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

    const ours = FUNCTION_KEYS.map((key) => lambdaArn(`coalmine-${STAGE}-${key}`));
    expect(resourcesFor(statements, 'lambda:InvokeFunction').sort()).toEqual(
      ours.flatMap((arn) => [arn, `${arn}:*`]).sort(),
    );
    expect(allows(statements, 'lambda:InvokeFunction', lambdaArn('checkout-api'))).toBe(false);
    expect(allows(statements, 'lambda:InvokeFunction', lambdaArn(`coalmine-${STAGE}-preflightX`))).toBe(false);

    if (announces) {
      const bus = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${EVENT_BUS}`;
      expect(resourcesFor(statements, 'events:PutEvents')).toEqual([bus]);
      expect(defaults.stack.evaluate({ Ref: 'CoalmineEventBus' })).toBe(EVENT_BUS);
    }
    for (const action of LOG_DELIVERY_ACTIONS) expect(resourcesFor(statements, action)).toEqual(['*']);
  });
});

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
    for (const { stack } of allStacks()) {
      expect({ key, actions: actionsOf(stack.statements(roleOf(stack, key))) }).toEqual({
        key,
        actions: [...FUNCTIONS[key]!.actions, ...LOG_ACTIONS].sort(),
      });
    }
    const statements = defaults.stack.statements(roleOf(defaults.stack, key));
    const ownLogGroup = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/coalmine-${STAGE}-${key}:*`;
    for (const action of LOG_ACTIONS) expect(resourcesFor(statements, action)).toEqual([ownLogGroup]);
    const otherKey = key === 'preflight' ? 'rollBack' : 'preflight';
    expect(allows(statements, 'logs:PutLogEvents', `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/coalmine-${STAGE}-${otherKey}:log-stream:x`)).toBe(false);
  });

  it('let the Lambda calls reach any function of the account and region by default, aliases and versions included', () => {
    for (const key of FUNCTION_KEYS) {
      const statements = defaults.stack.statements(roleOf(defaults.stack, key));
      for (const action of FUNCTIONS[key]!.actions.filter((a) => a.startsWith('lambda:'))) {
        expect(resourcesFor(statements, action).sort()).toEqual([lambdaArn('*'), lambdaArn('*:*')]);
        expect(allows(statements, action, lambdaArn('payments:live'))).toBe(true);
        expect(allows(statements, action, lambdaArn('checkout', '210987654321'))).toBe(false);
        expect(allows(statements, action, lambdaArn('checkout', ACCOUNT, 'eu-west-1'))).toBe(false);
      }
    }
  });

  it('scope the Lambda calls to targetFunctionPattern', () => {
    for (const key of FUNCTION_KEYS) {
      const statements = scoped.stack.statements(roleOf(scoped.stack, key));
      for (const action of FUNCTIONS[key]!.actions.filter((a) => a.startsWith('lambda:'))) {
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

  it('let the KeyValueStore calls reach any store of the account by default', () => {
    for (const key of FUNCTION_KEYS) {
      const statements = defaults.stack.statements(roleOf(defaults.stack, key));
      for (const action of kvsActionsOf(key)) {
        expect(resourcesFor(statements, action)).toEqual([kvsArn('*')]);
        expect(allows(statements, action, kvsArn(CHECKOUT_KVS_ID))).toBe(true);
        expect(allows(statements, action, kvsArn(CHECKOUT_KVS_ID, '210987654321'))).toBe(false);
      }
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
    const outdir = tempDir('coalmine-calls-');
    const entries = Object.fromEntries(FUNCTION_KEYS.map((key) => [key, join(REPO, `${FUNCTIONS[key]!.module}.ts`)]));
    const { metafile } = buildSync({
      entryPoints: entries,
      absWorkingDir: REPO,
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      outdir,
      logLevel: 'silent',
    });
    const callsIn = (file: string): string[] => {
      const source = readFileSync(join(REPO, file), 'utf8');
      return [...source.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"]@aws-sdk\/client-([a-z0-9-]+)['"]/g)].flatMap(([, names, client]) => {
        const prefix = IAM_PREFIX[client!];
        if (prefix === undefined) throw new Error(`${file} uses @aws-sdk/client-${client}: add its IAM prefix to this test`);
        return names!
          .split(',')
          .map((name) => name.trim().replace(/^type\s+/, ''))
          .filter((name) => /^[A-Z]\w*Command$/.test(name))
          .map((name) => `${prefix}:${name.replace(/Command$/, '')}`);
      });
    };
    const granted = new Set<string>();
    const callable = new Set<string>();
    for (const key of FUNCTION_KEYS) {
      const output = Object.values(metafile.outputs).find((o) => o.entryPoint === `${FUNCTIONS[key]!.module}.ts`);
      const sources = Object.keys(output!.inputs).filter((file) => !file.includes('node_modules/'));
      const calls = new Set(sources.flatMap(callsIn));
      calls.forEach((call) => callable.add(call));
      for (const action of FUNCTIONS[key]!.actions) {
        granted.add(action);
        expect({ key, action, inBundle: calls.has(action) }).toEqual({ key, action, inBundle: true });
      }
    }
    // A call no role grants fails with AccessDenied in AWS: give it to the functions that make it in serverless.yml.
    expect([...callable].filter((call) => !granted.has(call)).sort()).toEqual([]);
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

  it('publishes edge/x-deployment.js as written, on cloudfront-js-2.0, with the store associated', () => {
    const source = readFileSync(join(REPO, 'edge/x-deployment.js'), 'utf8');
    for (const { stack } of [edge, scoped]) {
      const fn = stack.resource('EdgeFunction');
      expect(fn.Type).toBe('AWS::CloudFront::Function');
      expect(fn.Properties.Name).toBe(`${EDGE_NAME}-x-deployment`);
      expect(fn.Properties.AutoPublish).toBe(true);
      // Byte for byte: not a copy in the YAML, not touched by variable resolution.
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

  it('stops the packaging when the edge parameter is neither true nor false', async () => {
    // Refused while the variables resolve, before any bundling: a few seconds.
    await expect(packageStack(STAGE, ['edge=yes'])).rejects.toThrow(
      'the edge parameter is "yes"; give --param="edge=true" or --param="edge=false"',
    );
  }, 120_000);
});

describe('the packages', () => {
  it('hold each handler as one bundled ES module (.mjs), AWS SDK included', () => {
    for (const key of FUNCTION_KEYS) {
      const code = defaults.stack.resource(logicalId(key, 'LambdaFunction')).Properties.Code as { S3Key: string };
      const entries = readZip(join(defaults.dir, basename(code.S3Key)));
      const bundle = `${FUNCTIONS[key]!.module}.mjs`;
      expect(entries.map((e) => e.name).sort()).toEqual([bundle, `${bundle}.map`]);
      const source = entries.find((e) => e.name === bundle)!.read().toString('utf8');
      expect(source.startsWith("import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);")).toBe(true);
      const imported = [...source.matchAll(/^import\s[^;]*?from\s*["']([^"']+)["']/gm)].map((m) => m[1]!);
      expect({ key, external: imported.filter((specifier) => !isBuiltin(specifier)) }).toEqual({ key, external: [] });
      expect(source).toMatch(/sourceMappingURL=.+\.mjs\.map\s*$/);
    }
  });

  it('load in Node and export a handler function', async () => {
    const dir = tempDir('coalmine-bundles-');
    const files = FUNCTION_KEYS.map((key) => {
      const code = defaults.stack.resource(logicalId(key, 'LambdaFunction')).Properties.Code as { S3Key: string };
      const bundle = readZip(join(defaults.dir, basename(code.S3Key))).find((e) => e.name.endsWith('.mjs'))!;
      const file = join(dir, `${key}.mjs`);
      writeFileSync(file, bundle.read());
      return file;
    });
    const script = 'for (const f of process.argv.slice(1)) console.log(typeof (await import(f)).handler);';
    const result = await run(process.execPath, ['--input-type=module', '-e', script, ...files], {
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_REGION: REGION },
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toEqual(FUNCTION_KEYS.map(() => 'function'));
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
   * Resource "*" for DescribeAlarms (composite alarms), EdgeEnabled creates the edge resources, EveryKvs
   * narrows the KVS permissions to the stack's own store when the edge is on.
   */
  const PARAMETER_CONDITIONS = ['EveryAlarm', 'EdgeEnabled', 'EveryKvs'];
  const accepted = (f: LintFinding): boolean =>
    f.Rule.Id === 'W8003' &&
    f.Location.Path.length === 2 &&
    f.Location.Path[0] === 'Conditions' &&
    PARAMETER_CONDITIONS.includes(String(f.Location.Path[1]));

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
