/**
 * Which canary state machine an operator command acts on: `--state-machine ARN`, else the environment
 * variable COALMINE_STATE_MACHINE_ARN, else `--stage STAGE`, which reads the output CanaryStateMachineArn of
 * the deployed stack `coalmine-STAGE` (serverless.yml's service and stage) in the configured region.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { UsageError } from '../io';

export const STATE_MACHINE_ENV = 'COALMINE_STATE_MACHINE_ARN';
/** serverless.yml's `Outputs` key for the state machine. */
export const STATE_MACHINE_OUTPUT = 'CanaryStateMachineArn';
/** serverless.yml's `service`: the stack of stage S is `coalmine-S`. */
const SERVICE = 'coalmine';

const ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;
const STAGE = /^[A-Za-z0-9-]{1,64}$/;

export interface StateMachineChoice {
  readonly stateMachine?: string;
  readonly stage?: string;
}

export const stackNameOf = (stage: string): string => `${SERVICE}-${stage}`;

function checkedArn(arn: string, from: string): string {
  if (!ARN.test(arn)) {
    throw new UsageError(`${from} is "${arn}", which is not a Step Functions state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME).`);
  }
  return arn;
}

async function fromStack(stage: string, cloudformation: CloudFormationClient): Promise<string> {
  if (!STAGE.test(stage)) throw new UsageError(`--stage is "${stage}"; a stage is letters, digits and hyphens.`);
  const stackName = stackNameOf(stage);
  let outputs;
  try {
    const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    if (error instanceof Error && error.name === 'ValidationError') {
      throw new UsageError(
        `no stack ${stackName} in this region (${error.message}). Deploy it (npx serverless deploy --stage ${stage}), ` +
          `or set AWS_REGION to the region it is in.`,
      );
    }
    throw error;
  }
  const value = outputs.find((output) => output.OutputKey === STATE_MACHINE_OUTPUT)?.OutputValue;
  if (value === undefined) throw new UsageError(`stack ${stackName} has no output ${STATE_MACHINE_OUTPUT}: it is not a coalmine stack.`);
  return checkedArn(value, `stack ${stackName}'s output ${STATE_MACHINE_OUTPUT}`);
}

/** The state machine ARN, from the first of the flag, the environment and the stage that is given. */
export async function resolveStateMachine(
  choice: StateMachineChoice,
  env: NodeJS.ProcessEnv = process.env,
  cloudformation: () => CloudFormationClient = () => new CloudFormationClient({}),
): Promise<string> {
  if (choice.stateMachine !== undefined && choice.stage !== undefined) {
    throw new UsageError('give --state-machine or --stage, not both.');
  }
  if (choice.stateMachine !== undefined) return checkedArn(choice.stateMachine, '--state-machine');
  const fromEnv = env[STATE_MACHINE_ENV];
  if (fromEnv !== undefined && fromEnv !== '' && choice.stage === undefined) return checkedArn(fromEnv, STATE_MACHINE_ENV);
  if (choice.stage !== undefined) return fromStack(choice.stage, cloudformation());
  throw new UsageError(
    `which state machine? Give --state-machine ARN, set ${STATE_MACHINE_ENV}, or give --stage STAGE to read the ` +
      `deployed stack's ${STATE_MACHINE_OUTPUT} output.`,
  );
}
