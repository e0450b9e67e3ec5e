/**
 * A new artifact that may start a rollout: a published Lambda version, an image pushed to ECR, an
 * object created in S3. Its fields are what artifact rules match on and fill into a rollout request,
 * and its identity names the execution, so that a repeated event starts nothing twice.
 */
import { createHash } from 'node:crypto';

export type Artifact =
  | { readonly kind: 'lambda-version'; readonly functionName: string; readonly version: string }
  | { readonly kind: 'ecr-image'; readonly repository: string; readonly digest: string; readonly tag?: string }
  | {
      readonly kind: 's3-object';
      readonly bucket: string;
      readonly key: string;
      readonly etag?: string;
      readonly sequencer?: string;
      readonly versionId?: string;
    };

export type ArtifactKind = Artifact['kind'];

/** The fields of each kind a rule may match (glob patterns) and fill in (`{field}` placeholders). */
export const ARTIFACT_FIELDS = {
  'lambda-version': { match: ['functionName', 'version'], fill: ['functionName', 'version'] },
  'ecr-image': { match: ['repository', 'tag'], fill: ['repository', 'digest', 'tag'] },
  's3-object': { match: ['bucket', 'key'], fill: ['bucket', 'key', 'etag', 'sequencer', 'versionId'] },
} as const satisfies Record<ArtifactKind, { match: readonly string[]; fill: readonly string[] }>;

/** Field values by name; absent optional fields are left out. */
export function artifactFields(artifact: Artifact): Readonly<Record<string, string>> {
  const { kind: _kind, ...fields } = artifact;
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

export function describeArtifact(artifact: Artifact): string {
  switch (artifact.kind) {
    case 'lambda-version':
      return `version ${artifact.version} of Lambda function ${artifact.functionName}`;
    case 'ecr-image':
      return `image ${artifact.repository}@${artifact.digest}${artifact.tag !== undefined ? ` (tag ${artifact.tag})` : ''}`;
    case 's3-object':
      return `object s3://${artifact.bucket}/${artifact.key}`;
  }
}

/** Step Functions execution names: 1-80 characters; these keep to the ones CloudWatch Logs also accepts. */
const MAX_EXECUTION_NAME = 80;

const hash = (text: string, length: number): string => createHash('sha256').update(text).digest('hex').slice(0, length);

/**
 * The execution name of the rollout an artifact starts: deterministic, so that a repeated event meets
 * Step Functions' name uniqueness (same name and input: the same execution; otherwise
 * ExecutionAlreadyExists) instead of starting a second rollout. Readable where it can be.
 */
export function executionNameFor(artifact: Artifact): string {
  let name: string;
  switch (artifact.kind) {
    case 'lambda-version':
      name = `lambda-${artifact.functionName}-${artifact.version}`;
      break;
    case 'ecr-image':
      // One image, one rollout, whatever tags it is pushed under.
      name = `ecr-${artifact.repository}-${artifact.digest.replace(/^[a-z0-9]+:/, '').slice(0, 12)}`;
      break;
    case 's3-object':
      // The sequencer (or version id) tells two uploads of one key apart; a redelivered event has the same.
      name = `s3-${artifact.bucket}-${hash(
        [artifact.bucket, artifact.key, artifact.versionId ?? artifact.sequencer ?? artifact.etag ?? ''].join('\n'),
        16,
      )}`;
      break;
  }
  const safe = name.replace(/[^A-Za-z0-9_-]/g, '-');
  if (safe.length <= MAX_EXECUTION_NAME) return safe;
  // Too long (e.g. a 64-character function name): keep the readable start, make the end unique.
  return `${safe.slice(0, MAX_EXECUTION_NAME - 13)}-${hash(name, 12)}`;
}
