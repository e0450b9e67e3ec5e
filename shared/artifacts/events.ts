/**
 * The EventBridge events that announce a new artifact, as AWS documents them, turned into an Artifact:
 * - Lambda PublishVersion through CloudTrail: source "aws.lambda", detail-type "AWS API Call via
 *   CloudTrail", detail.eventName "PublishVersion20150331" (the API version is part of the name: the
 *   rule in serverless.yml and the parser match the prefix, so a later API version still arrives);
 *   the function and version are in detail.responseElements (absent when the call failed).
 * - ECR: source "aws.ecr", detail-type "ECR Image Action", detail["action-type"] "PUSH",
 *   detail.result "SUCCESS", detail["repository-name"], detail["image-digest"], detail["image-tag"].
 * - S3 (EventBridge notifications on the bucket): source "aws.s3", detail-type "Object Created",
 *   detail.bucket.name, detail.object.key / etag / sequencer / version-id.
 * Only the fields used are checked; the rest of each documented shape passes through.
 */
import * as z from 'zod';
import { functionNameOf } from '../config/target-facts';
import type { Artifact } from './artifact';

export const ARTIFACT_EVENT_TYPES = {
  lambda: { source: 'aws.lambda', detailType: 'AWS API Call via CloudTrail', eventNamePrefix: 'PublishVersion' },
  ecr: { source: 'aws.ecr', detailType: 'ECR Image Action' },
  s3: { source: 'aws.s3', detailType: 'Object Created' },
} as const;

const PublishVersionEvent = z.looseObject({
  detail: z.looseObject({
    eventSource: z.literal('lambda.amazonaws.com'),
    // "PublishVersion20150331" today; a later API version would change the suffix, not the operation.
    eventName: z.string().regex(new RegExp(`^${ARTIFACT_EVENT_TYPES.lambda.eventNamePrefix}(\\d{8}\\w*)?$`), 'not a PublishVersion call'),
    errorCode: z.string().optional(),
    errorMessage: z.string().optional(),
    requestParameters: z.looseObject({ functionName: z.string().optional() }).nullish(),
    responseElements: z
      .looseObject({ functionName: z.string().optional(), functionArn: z.string().optional(), version: z.string().optional() })
      .nullish(),
  }),
});

const EcrImageActionEvent = z.looseObject({
  detail: z.looseObject({
    'action-type': z.string(),
    result: z.string(),
    'repository-name': z.string().min(1),
    'image-digest': z.string().min(1),
    'image-tag': z.string().optional(),
  }),
});

const S3ObjectCreatedEvent = z.looseObject({
  detail: z.looseObject({
    bucket: z.looseObject({ name: z.string().min(1) }),
    object: z.looseObject({
      key: z.string().min(1),
      etag: z.string().optional(),
      sequencer: z.string().optional(),
      'version-id': z.string().optional(),
    }),
  }),
});

export type ArtifactEventParse = { readonly artifact: Artifact } | { readonly ignored: string };

function problems(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; ');
}

/** The bare name of a CloudTrail field that may hold a name or an ARN; a text that is neither is none. */
function nameIn(nameOrArn: string | undefined): string | undefined {
  if (nameOrArn === undefined) return undefined;
  const name = functionNameOf(nameOrArn);
  return name.includes(':') ? undefined : name;
}

function parseLambdaVersion(event: unknown): ArtifactEventParse {
  const parsed = PublishVersionEvent.safeParse(event);
  if (!parsed.success) return { ignored: `not a Lambda PublishVersion call: ${problems(parsed.error)}` };
  const { errorCode, errorMessage, requestParameters, responseElements } = parsed.data.detail;
  const requested = requestParameters?.functionName ?? 'a function';
  if (errorCode !== undefined) return { ignored: `PublishVersion of ${requested} failed (${errorCode}: ${errorMessage ?? 'no message'})` };
  const functionName =
    nameIn(responseElements?.functionName) ?? nameIn(responseElements?.functionArn) ?? nameIn(requestParameters?.functionName);
  const version = responseElements?.version;
  if (functionName === undefined || version === undefined) {
    return { ignored: `PublishVersion of ${requested}: the event carries no function name or version (responseElements missing)` };
  }
  return { artifact: { kind: 'lambda-version', functionName, version } };
}

function parseEcrImage(event: unknown): ArtifactEventParse {
  const parsed = EcrImageActionEvent.safeParse(event);
  if (!parsed.success) return { ignored: `not an ECR image action: ${problems(parsed.error)}` };
  const detail = parsed.data.detail;
  const image = `${detail['repository-name']}@${detail['image-digest']}`;
  if (detail['action-type'] !== 'PUSH') return { ignored: `ECR ${detail['action-type']} of ${image} is not a push` };
  if (detail.result !== 'SUCCESS') return { ignored: `ECR push of ${image} did not succeed (${detail.result})` };
  const tag = detail['image-tag'];
  return {
    artifact: {
      kind: 'ecr-image',
      repository: detail['repository-name'],
      digest: detail['image-digest'],
      ...(tag !== undefined && tag !== '' ? { tag } : {}),
    },
  };
}

function parseS3Object(event: unknown): ArtifactEventParse {
  const parsed = S3ObjectCreatedEvent.safeParse(event);
  if (!parsed.success) return { ignored: `not an S3 Object Created event: ${problems(parsed.error)}` };
  const { bucket, object } = parsed.data.detail;
  return {
    artifact: {
      kind: 's3-object',
      bucket: bucket.name,
      key: object.key,
      ...(object.etag !== undefined ? { etag: object.etag } : {}),
      ...(object.sequencer !== undefined ? { sequencer: object.sequencer } : {}),
      ...(object['version-id'] !== undefined ? { versionId: object['version-id'] } : {}),
    },
  };
}

/** The artifact an EventBridge event announces, or why it announces none. Never throws. */
export function parseArtifactEvent(event: unknown): ArtifactEventParse {
  const envelope = event as { source?: unknown; 'detail-type'?: unknown } | null | undefined;
  const source = envelope?.source;
  const detailType = envelope?.['detail-type'];
  const { lambda, ecr, s3 } = ARTIFACT_EVENT_TYPES;
  if (source === lambda.source && detailType === lambda.detailType) return parseLambdaVersion(event);
  if (source === ecr.source && detailType === ecr.detailType) return parseEcrImage(event);
  if (source === s3.source && detailType === s3.detailType) return parseS3Object(event);
  return { ignored: `not an artifact event (source ${JSON.stringify(source)}, detail-type ${JSON.stringify(detailType)})` };
}
