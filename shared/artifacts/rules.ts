/**
 * Artifact rules: which new artifact starts which rollout. A rules file is a list; the first rule whose
 * `match` fits the artifact wins, and its `rollout` template, with `{placeholders}` filled from the
 * artifact, becomes the rollout request. Strict and checked when loaded, because a typo in a rule
 * would otherwise surface only when an artifact arrives, or start the wrong rollout.
 * docs/triggers.md explains how to write rules.
 */
import * as z from 'zod';
import { describeIssues, RolloutRequestSchema } from '../config/request';
import { ConfigurationError } from '../errors';
import { ARTIFACT_FIELDS, artifactFields, describeArtifact, type Artifact, type ArtifactKind } from './artifact';

/** `{field}` or `{field.N}` (the Nth `*` of the field's pattern). */
const PLACEHOLDER = /\{([A-Za-z]+)(?:\.([1-9][0-9]*))?\}/g;

interface CompiledGlob {
  readonly regex: RegExp;
  /** How many `*` the pattern has: what `{field.N}` may refer to. */
  readonly stars: number;
}

/** `*` matches any run of characters (slashes included), `?` exactly one; everything else itself. */
export function compileGlob(pattern: string): CompiledGlob {
  let source = '';
  let stars = 0;
  for (const char of pattern) {
    if (char === '*') {
      source += '(.*?)';
      stars += 1;
    } else if (char === '?') {
      source += '.';
    } else {
      source += char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  return { regex: new RegExp(`^${source}$`, 's'), stars };
}

const Pattern = z.string().min(1, 'a pattern cannot be empty').max(1024);

const MatchSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('lambda-version'),
      functionName: Pattern.optional().describe('Function name pattern, e.g. "checkout" or "checkout-*".'),
      version: Pattern.optional(),
    }),
    z.strictObject({
      kind: z.literal('ecr-image'),
      repository: Pattern.optional().describe('Repository name pattern, e.g. "web" or "team/*".'),
      tag: Pattern.optional().describe('Tag pattern, e.g. "release-*". An untagged push never matches a tag pattern.'),
    }),
    z.strictObject({
      kind: z.literal('s3-object'),
      bucket: Pattern.optional(),
      key: Pattern.optional().describe('Object key pattern, e.g. "lambda/*/*.json".'),
    }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? `unknown artifact kind; one of ${Object.keys(ARTIFACT_FIELDS).join(', ')}` : undefined,
  },
);

type Match = z.output<typeof MatchSchema>;
type Template = Record<string, unknown>;

interface PlaceholderUse {
  readonly path: readonly (string | number)[];
  readonly field: string;
  readonly index?: number;
}

/** Every placeholder in the template's string values, with the path of the string. */
function placeholdersIn(value: unknown, path: (string | number)[] = []): PlaceholderUse[] {
  if (typeof value === 'string') {
    return [...value.matchAll(PLACEHOLDER)].map((m) => ({
      path,
      field: m[1] as string,
      ...(m[2] !== undefined ? { index: Number(m[2]) } : {}),
    }));
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => placeholdersIn(item, [...path, i]));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => placeholdersIn(item, [...path, key]));
  }
  return [];
}

/** The template with each placeholder replaced by `fill(field, index)`; only string values change. */
function fillTemplate(value: unknown, fill: (field: string, index: number | undefined) => string): unknown {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (_all, field: string, index: string | undefined) => fill(field, index === undefined ? undefined : Number(index)));
  }
  if (Array.isArray(value)) return value.map((item) => fillTemplate(item, fill));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillTemplate(item, fill)]));
  }
  return value;
}

function patternOf(match: Match, field: string): string | undefined {
  return (match as Record<string, string | undefined>)[field];
}

/** Checks a rule's template: known placeholders, and a valid rollout request wherever no placeholder sits. */
function checkTemplate(rule: { match: Match; rollout: Template }, ctx: z.RefinementCtx): void {
  const kind = rule.match.kind;
  const fillable: readonly string[] = ARTIFACT_FIELDS[kind].fill;
  const uses = placeholdersIn(rule.rollout);
  for (const use of uses) {
    const at = ['rollout', ...use.path];
    if (!fillable.includes(use.field)) {
      ctx.addIssue({
        code: 'custom',
        path: at,
        message: `unknown placeholder {${use.field}}; rules for ${kind} may use ${fillable.map((f) => `{${f}}`).join(', ')}`,
      });
      continue;
    }
    const pattern = patternOf(rule.match, use.field);
    if (use.index !== undefined && use.index > (pattern === undefined ? 0 : compileGlob(pattern).stars)) {
      ctx.addIssue({
        code: 'custom',
        path: at,
        message: `{${use.field}.${use.index}} refers to "*" number ${use.index} in match.${use.field}, which ${pattern === undefined ? 'is not given' : `has only ${compileGlob(pattern).stars}`}`,
      });
    }
    if (use.field === 'tag' && pattern === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: at,
        message: 'an image may be pushed without a tag: give match.tag (e.g. "*") so that untagged pushes do not match this rule',
      });
    }
  }
  // Values with a placeholder are known only when an artifact arrives; check everything else now.
  const filledPaths = new Set(uses.map((u) => u.path.join('.')));
  const sample = fillTemplate(rule.rollout, () => '1');
  const parsed = RolloutRequestSchema.safeParse(sample);
  if (parsed.success) return;
  for (const issue of parsed.error.issues) {
    if (filledPaths.has(issue.path.join('.'))) continue;
    ctx.addIssue({ code: 'custom', path: ['rollout', ...issue.path], message: describeIssues(new z.ZodError([issue])).replace(/^[^:]*: /, '') });
  }
}

const RuleSchema = z
  .strictObject({
    name: z.string().min(1).max(64).optional().describe('Shown in logs: which rule started (or failed to start) a rollout.'),
    description: z.string().optional(),
    match: MatchSchema,
    rollout: z
      .record(z.string(), z.unknown())
      .describe('A rollout request; string values may hold placeholders such as {version}, {digest}, {key.1}.'),
  })
  .superRefine(checkTemplate);

export const ArtifactRulesSchema = z.strictObject({
  description: z.string().optional(),
  rules: z.array(RuleSchema).max(100, 'at most 100 rules'),
});

export type ArtifactRule = z.output<typeof RuleSchema>;
export type ArtifactRules = z.output<typeof ArtifactRulesSchema>;

/** Validates a rules file; throws ConfigurationError naming every problem and where the rules came from. */
export function parseArtifactRules(input: unknown, source: string): ArtifactRules {
  const parsed = ArtifactRulesSchema.safeParse(input);
  if (!parsed.success) throw new ConfigurationError(`The artifact rules in ${source} are invalid: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

export interface RuleMatch {
  readonly rule: ArtifactRule;
  /** The rule's name, or its position ("rules[2]"). */
  readonly label: string;
  /** What each field's `*`s matched, by field. */
  readonly captures: Readonly<Record<string, readonly string[]>>;
}

/** The first rule whose match fits the artifact, or undefined. */
export function matchArtifact(rules: ArtifactRules, artifact: Artifact): RuleMatch | undefined {
  const fields = artifactFields(artifact);
  for (const [index, rule] of rules.rules.entries()) {
    if (rule.match.kind !== artifact.kind) continue;
    const captures: Record<string, string[]> = {};
    const fits = ARTIFACT_FIELDS[artifact.kind as ArtifactKind].match.every((field) => {
      const pattern = patternOf(rule.match, field);
      if (pattern === undefined) return true;
      const value = fields[field];
      const found = value === undefined ? null : compileGlob(pattern).regex.exec(value);
      if (found === null) return false;
      captures[field] = found.slice(1);
      return true;
    });
    if (fits) return { rule, label: rule.name ?? `rules[${index}]`, captures };
  }
  return undefined;
}

/** The rule's rollout request for the artifact, placeholders filled. Not yet validated as a request. */
export function renderRollout(match: RuleMatch, artifact: Artifact): Record<string, unknown> {
  const fields = artifactFields(artifact);
  return fillTemplate(match.rule.rollout, (field, index) => {
    const value = index === undefined ? fields[field] : match.captures[field]?.[index - 1];
    if (value === undefined) {
      throw new ConfigurationError(
        `Artifact rule ${match.label} uses {${field}${index === undefined ? '' : `.${index}`}}, which ${describeArtifact(artifact)} does not have.`,
      );
    }
    return value;
  }) as Record<string, unknown>;
}
