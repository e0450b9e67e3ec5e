/**
 * Target schemas: what a rollout moves traffic on. One entry per router type (shared/routers/registry.ts
 * has the matching implementations).
 */
import { z } from 'zod';

const FunctionName = z
  .string()
  .regex(
    /^(arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[a-zA-Z0-9_-]{1,64}$/,
    'a Lambda function name ("checkout") or its ARN without a qualifier',
  );

const AliasName = z
  .string()
  .regex(/^(?!^[0-9]+$)[a-zA-Z0-9_-]{1,128}$/, 'an alias name: letters, digits, - and _, not only digits (e.g. "live")');

const PublishedVersion = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .pipe(
    z
      .string()
      .regex(/^[1-9][0-9]*$/, 'a published version number such as "42" ($LATEST cannot take weighted alias traffic)'),
  );

export const LambdaAliasTargetSchema = z
  .strictObject({
    type: z.literal('lambda-alias'),
    functionName: FunctionName.describe('The function whose alias moves.'),
    alias: AliasName.describe('The alias that callers invoke, e.g. "live".'),
    version: PublishedVersion.describe('The new published version to roll out.'),
  })
  .describe('Weighted Lambda alias: the alias keeps its current version and sends a share to the new one.');

export const TargetSchema = z
  .discriminatedUnion('type', [LambdaAliasTargetSchema], {
    error: (issue) =>
      issue.code === 'invalid_union' ? 'unknown target type; supported: "lambda-alias"' : undefined,
  })
  .describe('What the rollout moves traffic on.');

export type LambdaAliasTarget = z.output<typeof LambdaAliasTargetSchema>;
export type Target = z.output<typeof TargetSchema>;
export type TargetType = Target['type'];
