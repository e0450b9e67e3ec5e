/**
 * What the package test needs around a packaged stack: running `serverless package` and cfn-lint, and
 * reading the CloudFormation template with its intrinsic functions evaluated the way CloudFormation would
 * in one made-up account, so that assertions can speak about concrete ARNs.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, copyFileSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export const REPO = join(__dirname, '..', '..');
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
const PARTITION = 'aws';

const made: string[] = [];

/** A fresh temporary directory, removed by removeTempDirs. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every directory tempDir made. Symlinks inside are removed, never followed. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, seconds: (Date.now() - started) / 1000 }));
  });
}

export interface PackagedStack {
  readonly dir: string;
  readonly seconds: number;
}

/**
 * The service seen from a temporary directory: a symlink to every top-level entry of the working tree.
 * osls builds in `<service>/.serverless` (even with --package, which it copies to at the end, and it
 * deletes that folder when it starts) and serverless-esbuild in `<service>/.esbuild`; from here both land
 * outside the working tree, and two packagings, or a colleague's, cannot trample each other.
 */
function serviceOutsideTheTree(): string {
  const dir = tempDir('coalmine-service-');
  for (const entry of readdirSync(REPO)) {
    if (entry === '.git' || entry === '.serverless' || entry === '.esbuild') continue;
    // osls looks for its configuration with lstat: a symlink would not do.
    if (entry === 'serverless.yml') copyFileSync(join(REPO, entry), join(dir, entry));
    else symlinkSync(join(REPO, entry), join(dir, entry));
  }
  return dir;
}

/** `serverless package` of the working tree's serverless.yml into a fresh temporary directory. */
export async function packageStack(stage: string, params: readonly string[] = []): Promise<PackagedStack> {
  const dir = tempDir(`coalmine-package-${stage}-`);
  const serverless = join(REPO, 'node_modules', 'osls', 'bin', 'serverless.js');
  const args = [serverless, 'package', '--stage', stage, '--region', REGION, '--package', dir];
  for (const param of params) args.push(`--param=${param}`);
  const result = await run(process.execPath, args, { cwd: serviceOutsideTheTree() });
  if (result.code !== 0) {
    throw new Error(`serverless package (${stage}) exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
  }
  return { dir, seconds: result.seconds };
}

/** The executable's path if it is on PATH, as `which` finds it. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface LintFinding {
  readonly Rule: { readonly Id: string };
  readonly Level: string;
  readonly Message: string;
  readonly Location: { readonly Path: ReadonlyArray<string | number> };
}

export interface LintResult {
  /** cfn-lint's exit code: 0 clean; bit 2 errors, bit 4 warnings, bit 8 informational. */
  readonly code: number;
  readonly findings: LintFinding[];
  readonly seconds: number;
}

export async function lintTemplate(cfnLint: string, template: string): Promise<LintResult> {
  // W3005 (a DependsOn that a GetAtt already implies) is how the framework writes every function.
  const result = await run(cfnLint, ['--format', 'json', '--ignore-checks', 'W3005', '--', template]);
  if (result.code & 1) throw new Error(`cfn-lint failed to run (${result.code}):\n${result.stdout}\n${result.stderr}`);
  return { code: result.code, findings: JSON.parse(result.stdout || '[]') as LintFinding[], seconds: result.seconds };
}

// ---- the template ----

export interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  /** The name of a condition: CloudFormation creates the resource only when it is true. */
  readonly Condition?: string;
}

export interface Output {
  readonly Value: unknown;
  readonly Description?: string;
  readonly Condition?: string;
  readonly Export?: unknown;
}

export interface Template {
  readonly Resources: Record<string, Resource>;
  readonly Conditions?: Record<string, unknown>;
  readonly Outputs?: Record<string, Output>;
}

export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string[];
  readonly Resource: string[];
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** What `Ref: AWS::NoValue` evaluates to: removed from the list or object that holds it, as CloudFormation does. */
const NO_VALUE = Symbol('AWS::NoValue') as unknown as Json;

/**
 * A made-up id for a KeyValueStore, as CloudFront would assign one (a UUID): stable per logical ID, so
 * that assertions can name the ARN of a store the stack creates.
 */
export function keyValueStoreId(logicalId: string): string {
  const hex = createHash('sha256').update(logicalId).digest('hex');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join('-');
}

/**
 * Evaluates Ref (AWS::NoValue included), Fn::Sub, Fn::GetAtt, Fn::Join, Fn::Split, Fn::If and the condition
 * functions (Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition) as CloudFormation would, and knows which
 * resources and outputs it creates.
 */
export class TemplateReader {
  constructor(readonly template: Template) {}

  /** The resources of a type that CloudFormation creates: those without a Condition or whose condition holds. */
  resourcesOfType(type: string): Array<[string, Resource]> {
    return Object.entries(this.template.Resources).filter(([id, resource]) => resource.Type === type && this.creates(id));
  }

  /** The resource as written in the template, whether or not its condition holds. */
  resource(logicalId: string): Resource {
    const resource = this.template.Resources[logicalId];
    if (resource === undefined) throw new Error(`no resource ${logicalId} in the template`);
    return resource;
  }

  /** Whether CloudFormation creates the resource: it is in the template, and its condition (if any) holds. */
  creates(logicalId: string): boolean {
    const resource = this.template.Resources[logicalId];
    return resource !== undefined && (resource.Condition === undefined || this.condition(resource.Condition));
  }

  /** The stack's outputs, evaluated; an output whose condition does not hold is not there. */
  outputs(): Record<string, Json> {
    return Object.fromEntries(
      Object.entries(this.template.Outputs ?? {})
        .filter(([, output]) => output.Condition === undefined || this.condition(output.Condition))
        .map(([name, output]) => [name, this.evaluate(output.Value)]),
    );
  }

  evaluate(value: unknown): Json {
    if (Array.isArray(value)) return value.map((item) => this.evaluate(item)).filter((item) => item !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value as Json;
    const entries = Object.entries(value);
    const [key, argument] = entries[0] ?? [];
    if (entries.length === 1 && key !== undefined && (key === 'Ref' || key.startsWith('Fn::'))) {
      return this.intrinsic(key, argument);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.evaluate(v)]).filter(([, v]) => v !== NO_VALUE));
  }

  condition(name: string): boolean {
    const condition = this.template.Conditions?.[name];
    if (condition === undefined) throw new Error(`no condition ${name} in the template`);
    return this.conditionValue(condition, name);
  }

  /** A condition's body: Fn::Equals, Fn::And, Fn::Or, Fn::Not, or another condition by name. */
  private conditionValue(expression: unknown, name: string): boolean {
    const [[key, argument] = []] = Object.entries((expression ?? {}) as Record<string, unknown>);
    switch (key) {
      case 'Condition':
        return this.condition(String(argument));
      case 'Fn::And':
        return (argument as unknown[]).every((item) => this.conditionValue(item, name));
      case 'Fn::Or':
        return (argument as unknown[]).some((item) => this.conditionValue(item, name));
      case 'Fn::Not':
        return !this.conditionValue((argument as unknown[])[0], name);
      case 'Fn::Equals': {
        const [left, right] = this.evaluate(argument) as [Json, Json];
        return JSON.stringify(left) === JSON.stringify(right);
      }
      default:
        throw new Error(`condition ${name}: the test does not evaluate ${JSON.stringify(expression)}`);
    }
  }

  /** Every statement of an IAM role's inline policies, evaluated, with Action and Resource as lists. */
  statements(roleId: string): Statement[] {
    const policies = (this.resource(roleId).Properties.Policies ?? []) as Array<{ PolicyDocument: unknown }>;
    return policies.flatMap((policy) => {
      const document = this.evaluate(policy.PolicyDocument) as { Statement: Array<Record<string, Json>> };
      return document.Statement.map((statement) => ({
        Effect: statement.Effect as Statement['Effect'],
        Action: ([] as Json[]).concat(statement.Action ?? []).map(String),
        Resource: ([] as Json[]).concat(statement.Resource ?? []).map(String),
      }));
    });
  }

  private intrinsic(name: string, argument: unknown): Json {
    switch (name) {
      case 'Ref':
        return this.ref(String(argument));
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
        const values = this.evaluate(variables) as Record<string, Json>;
        return String(text).replace(/\$\{([^}]+)\}/g, (_, variable: string) => {
          const local = values[variable];
          if (local !== undefined) return String(local);
          return variable.includes('.') ? String(this.getAtt(variable.split('.') as [string, string])) : String(this.ref(variable));
        });
      }
      case 'Fn::GetAtt':
        return this.getAtt(argument as [string, string]);
      case 'Fn::Join': {
        const [separator, items] = argument as [string, unknown[]];
        return (this.evaluate(items) as Json[]).map(String).join(separator);
      }
      case 'Fn::Split': {
        const [separator, text] = argument as [string, unknown];
        return String(this.evaluate(text)).split(separator);
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = argument as [string, unknown, unknown];
        return this.evaluate(this.condition(condition) ? whenTrue : whenFalse);
      }
      default:
        throw new Error(`the test does not evaluate ${name}`);
    }
  }

  private ref(name: string): Json {
    if (name === 'AWS::Partition') return PARTITION;
    if (name === 'AWS::Region') return REGION;
    if (name === 'AWS::AccountId') return ACCOUNT;
    if (name === 'AWS::URLSuffix') return 'amazonaws.com';
    if (name === 'AWS::NoValue') return NO_VALUE;
    const resource = this.createdResource(name);
    if (resource.Type === 'AWS::StepFunctions::StateMachine') {
      return `arn:${PARTITION}:states:${REGION}:${ACCOUNT}:stateMachine:${String(resource.Properties.StateMachineName)}`;
    }
    if (resource.Type === 'AWS::Events::EventBus') return String(resource.Properties.Name);
    if (resource.Type === 'AWS::SQS::Queue') return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${String(resource.Properties.QueueName)}`;
    return `<Ref ${name}>`;
  }

  /** A resource that a Ref or Fn::GetAtt may name: CloudFormation refuses one that it does not create. */
  private createdResource(logicalId: string): Resource {
    const resource = this.resource(logicalId);
    if (!this.creates(logicalId)) throw new Error(`${logicalId} is referenced, but its condition ${resource.Condition} is false`);
    return resource;
  }

  private getAtt([logicalId, attribute]: [string, string]): Json {
    const resource = this.createdResource(logicalId);
    if (attribute === 'Arn' && resource.Type === 'AWS::Lambda::Function') {
      return `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${String(resource.Properties.FunctionName)}`;
    }
    if (attribute === 'Arn' && resource.Type === 'AWS::Logs::LogGroup') {
      // The attribute ends in ":*", which covers the group's log streams.
      return `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${String(resource.Properties.LogGroupName)}:*`;
    }
    // CloudFront is global: its ARNs have no region.
    if (attribute === 'Arn' && resource.Type === 'AWS::CloudFront::KeyValueStore') {
      return `arn:${PARTITION}:cloudfront::${ACCOUNT}:key-value-store/${keyValueStoreId(logicalId)}`;
    }
    if (attribute === 'Arn' && resource.Type === 'AWS::SQS::Queue') {
      return `arn:${PARTITION}:sqs:${REGION}:${ACCOUNT}:${String(resource.Properties.QueueName)}`;
    }
    if (resource.Type === 'AWS::Events::EventBus' && (attribute === 'Arn' || attribute === 'Name')) {
      const name = String(resource.Properties.Name);
      return attribute === 'Name' ? name : `arn:${PARTITION}:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
    }
    // rule/NAME on the default bus, rule/BUS/NAME on another. A rule without a Name gets one from
    // CloudFormation; its logical ID stands in for it.
    if (attribute === 'Arn' && resource.Type === 'AWS::Events::Rule') {
      // EventBusName may be a name or an ARN; the rule's ARN names the bus by name.
      const given = resource.Properties.EventBusName === undefined ? 'default' : String(this.evaluate(resource.Properties.EventBusName));
      const bus = given.startsWith('arn:') ? given.slice(given.indexOf(':event-bus/') + ':event-bus/'.length) : given;
      const name = resource.Properties.Name === undefined ? logicalId : String(resource.Properties.Name);
      return `arn:${PARTITION}:events:${REGION}:${ACCOUNT}:rule/${bus === 'default' ? '' : `${bus}/`}${name}`;
    }
    if (attribute === 'FunctionARN' && resource.Type === 'AWS::CloudFront::Function') {
      return `arn:${PARTITION}:cloudfront::${ACCOUNT}:function/${String(resource.Properties.Name)}`;
    }
    return `<GetAtt ${logicalId}.${attribute}>`;
  }
}

/** Whether an IAM resource pattern (wildcards * and ?, case-sensitive) matches an ARN. */
export function iamMatches(pattern: string, arn: string): boolean {
  const regex = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${regex}$`).test(arn);
}

/** Whether any Allow statement grants the action on the ARN. */
export function allows(statements: readonly Statement[], action: string, arn: string): boolean {
  return statements.some(
    (s) => s.Effect === 'Allow' && s.Action.includes(action) && s.Resource.some((pattern) => iamMatches(pattern, arn)),
  );
}
