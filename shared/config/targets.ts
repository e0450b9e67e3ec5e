/**
 * Target schemas: what a rollout moves traffic on. One entry per router type (shared/routers/registry.ts
 * has the matching implementations). What code that never validates a target needs to know of one (the
 * KeyValueStore's keys, a function's bare name) is in shared/config/target-facts.ts, without zod.
 */
import * as z from 'zod';
import { parseCidr } from '../net/cidr';
import { countryCodeProblem } from '../net/countries';
import { KVS_KEYS, KVS_LIMITS, VIEWER_COOKIE_MODES } from './target-facts';

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

const KvsArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:cloudfront::[0-9]{12}:key-value-store\/[A-Za-z0-9-]{1,64}$/,
    'a KeyValueStore ARN: arn:aws:cloudfront::<12-digit account>:key-value-store/<id> ' +
      '(`aws cloudfront describe-key-value-store --name <name>` prints it; the store\'s name alone is not enough)',
  );

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** A pin list: every entry checked by `problem`, the whole list's JSON within one KVS value. */
function pinList(key: string, what: string, problem: (entry: string) => string | undefined, fix: string) {
  return z.array(z.string()).superRefine((list, ctx) => {
    list.forEach((entry, i) => {
      const message = problem(entry);
      if (message !== undefined) ctx.addIssue({ code: 'custom', path: [i], message });
    });
    const bytes = utf8Bytes(JSON.stringify(list));
    if (bytes > KVS_LIMITS.valueBytes) {
      ctx.addIssue({
        code: 'custom',
        message: `${list.length} ${what} make ${bytes} bytes of JSON in the KVS key ${key}, over the ${KVS_LIMITS.valueBytes}-byte limit of a KeyValueStore value; ${fix}`,
      });
    }
  });
}

function cidrProblem(entry: string): string | undefined {
  const parsed = parseCidr(entry);
  return parsed.ok ? undefined : `"${entry}" is not a valid CIDR: ${parsed.reason}`;
}

const cidrList = (key: string) => pinList(key, 'CIDRs', cidrProblem, 'pin fewer viewers or use wider prefixes');
const countryList = (key: string) => pinList(key, 'country codes', countryCodeProblem, 'pin fewer countries');

export const CloudFrontKvsTargetSchema = z
  .strictObject({
    type: z.literal('cloudfront-kvs'),
    kvsArn: KvsArn.describe('The KeyValueStore the edge function reads (its ARN).'),
    blueCidrs: cidrList(KVS_KEYS.blueCidrs)
      .optional()
      .describe(
        `Viewer networks always sent to blue (KVS key ${KVS_KEYS.blueCidrs}), IPv4 or IPv6 CIDRs or single addresses. ` +
          'Written before any traffic moves; when omitted the key is left as it is.',
      ),
    greenCidrs: cidrList(KVS_KEYS.greenCidrs)
      .optional()
      .describe(
        `Viewer networks always sent to green (KVS key ${KVS_KEYS.greenCidrs}), e.g. testers. Blue pins win over green ones. ` +
          'Written before any traffic moves; when omitted the key is left as it is.',
      ),
    blueCountries: countryList(KVS_KEYS.blueCountries)
      .optional()
      .describe(
        `Viewer countries always sent to blue (KVS key ${KVS_KEYS.blueCountries}): ISO 3166-1 alpha-2 codes such as "DE", matched against ` +
          'the cloudfront-viewer-country header. Blue pins win over green ones. Written before any traffic moves; when omitted the key is left as it is.',
      ),
    greenCountries: countryList(KVS_KEYS.greenCountries)
      .optional()
      .describe(
        `Viewer countries always sent to green (KVS key ${KVS_KEYS.greenCountries}), whatever the step's weight: every viewer there sees the canary. ` +
          'Written before any traffic moves; when omitted the key is left as it is.',
      ),
    viewerCookie: z
      .enum(VIEWER_COOKIE_MODES, { error: () => 'viewerCookie is "use" or "ignore"' })
      .optional()
      .describe(
        `Whether the coalmine-viewer cookie names the viewer (KVS key ${KVS_KEYS.viewerCookie}). "use": sticky across networks, but a client ` +
          'can forge the cookie to choose green while 0 < green_percentage < 100. "ignore": viewers are bucketed by address only. ' +
          'Written before any traffic moves; when omitted the key is left as it is (absent means "use").',
      ),
    stableAfterPromotion: z
      .enum(['green', 'blue'], { error: () => 'stableAfterPromotion is "green" or "blue"' })
      .default('green')
      .describe(
        'The colour that serves everyone once this rollout is promoted, which is the colour the new version is deployed as. ' +
          `"green" (default): green is the canary, ${KVS_KEYS.greenPercentage} goes 0 → 100, rollback sets 0. ` +
          `"blue": the colours swap roles (a previous promotion left green serving everyone); blue is the canary, ` +
          `${KVS_KEYS.greenPercentage} goes 100 → 0, rollback sets 100.`,
      ),
  })
  .describe(
    'CloudFront KeyValueStore read by the coalmine edge function, which stamps x-deployment: blue|green for the mesh. ' +
      'Weights are whole percentages.',
  );

export const TargetSchema = z
  .discriminatedUnion('type', [LambdaAliasTargetSchema, CloudFrontKvsTargetSchema], {
    error: (issue) =>
      issue.code === 'invalid_union' ? 'unknown target type; supported: "lambda-alias", "cloudfront-kvs"' : undefined,
  })
  .describe('What the rollout moves traffic on.');

export type LambdaAliasTarget = z.output<typeof LambdaAliasTargetSchema>;
export type CloudFrontKvsTarget = z.output<typeof CloudFrontKvsTargetSchema>;
export type Target = z.output<typeof TargetSchema>;
export type TargetType = Target['type'];
