/**
 * What is known of targets without validating one (shared/config/targets.ts has the schemas): the
 * KeyValueStore's keys and limits, and a Lambda function's bare name. No zod here: the functions that
 * move traffic on an already validated target load no schema.
 */

/**
 * The keys of a CloudFront KeyValueStore that coalmine reads and writes. All but the lock are the contract
 * with the edge function (edge/x-deployment.js): the first three must exist, the country pins and
 * viewer_cookie may be absent. The lock is coalmine's own (docs/edge.md).
 */
export const KVS_KEYS = {
  greenPercentage: 'green_percentage',
  blueCidrs: 'blue_cidrs',
  greenCidrs: 'green_cidrs',
  blueCountries: 'blue_countries',
  greenCountries: 'green_countries',
  viewerCookie: 'viewer_cookie',
  lock: 'coalmine_lock',
  /** Who restored the previous version after a promotion, why and when (shared/routers/restore-record.ts). */
  restore: 'coalmine_restore',
} as const;

/** The values of viewer_cookie: whether the coalmine-viewer cookie names the viewer (docs/edge.md). */
export const VIEWER_COOKIE_MODES = ['use', 'ignore'] as const;

/** CloudFront KeyValueStore limits (CloudFront developer guide, "key value store" quotas). */
export const KVS_LIMITS = {
  keyBytes: 512,
  valueBytes: 1024,
  storeBytes: 5 * 1024 * 1024,
} as const;

/**
 * A Lambda function's bare name from its name, its ARN or a qualified ARN (`…:function:checkout:42`), as
 * CloudWatch's FunctionName dimension, Slack's `function:alias` and the artifact rules name it.
 */
export function functionNameOf(nameOrArn: string): string {
  return /:function:([^:]+)/.exec(nameOrArn)?.[1] ?? nameOrArn;
}

/**
 * The fields of each target type (targets.ts's schemas, one per router) that every router reads, all
 * strings once targets.ts has parsed them.
 */
const TARGET_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'lambda-alias': ['functionName', 'alias', 'version'],
  'cloudfront-kvs': ['kvsArn', 'stableAfterPromotion'],
};

/**
 * Why `value` does not have the shape of a target that targets.ts parsed (a planned rollout's, read back
 * from an execution's history), or undefined when it has. A shape, not a validation: names and ARNs are not
 * checked again.
 */
export function targetShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'target is not an object';
  const target = value as Record<string, unknown>;
  const fields = Object.hasOwn(TARGET_FIELDS, String(target.type)) ? TARGET_FIELDS[String(target.type)] : undefined;
  if (fields === undefined) return `target.type ${JSON.stringify(target.type)} is not one of ${Object.keys(TARGET_FIELDS).join(', ')}`;
  const missing = fields.find((field) => typeof target[field] !== 'string');
  return missing === undefined ? undefined : `target.${missing} of a ${String(target.type)} target is not a string`;
}
