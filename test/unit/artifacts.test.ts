/**
 * Artifact events as EventBridge delivers them (test/fixtures/eventbridge, shaped as the AWS docs show
 * them) turned into artifacts, and the execution names derived from them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { executionNameFor, type Artifact } from '../../shared/artifacts/artifact';
import { parseArtifactEvent } from '../../shared/artifacts/events';

function event(source: string, variant: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '../fixtures/eventbridge', source, `${variant}.json`), 'utf8')) as Record<string, unknown>;
}

describe('artifact events', () => {
  it('a published Lambda version (CloudTrail PublishVersion20150331) names the function and the version', () => {
    expect(parseArtifactEvent(event('aws.lambda', 'publish-version'))).toEqual({
      artifact: { kind: 'lambda-version', functionName: 'checkout', version: '42' },
    });
  });

  it('takes the function name from the ARN when responseElements gives only that', () => {
    const e = event('aws.lambda', 'publish-version') as { detail: { requestParameters: object; responseElements: Record<string, unknown> } };
    e.detail.requestParameters = { functionName: 'arn:aws:lambda:us-east-1:123456789012:function:checkout' };
    delete e.detail.responseElements.functionName;

    expect(parseArtifactEvent(e)).toEqual({ artifact: { kind: 'lambda-version', functionName: 'checkout', version: '42' } });
  });

  it('ignores a PublishVersion call that failed, saying why', () => {
    expect(parseArtifactEvent(event('aws.lambda', 'publish-version-failed'))).toEqual({
      ignored: expect.stringMatching(/^PublishVersion of checkout failed \(ResourceConflictException: .*update is in progress/),
    });
  });

  it('takes a PublishVersion of a later API version (another date suffix) as well', () => {
    const e = event('aws.lambda', 'publish-version') as { detail: Record<string, unknown> };
    e.detail.eventName = 'PublishVersion20300101';

    expect(parseArtifactEvent(e)).toEqual({ artifact: { kind: 'lambda-version', functionName: 'checkout', version: '42' } });
  });

  it('ignores other Lambda API calls', () => {
    const e = event('aws.lambda', 'publish-version') as { detail: Record<string, unknown> };
    e.detail.eventName = 'PublishLayerVersion20181031';

    expect(parseArtifactEvent(e)).toEqual({ ignored: expect.stringContaining('not a PublishVersion call') });
  });

  it('an image pushed to ECR names the repository, the digest and the tag', () => {
    expect(parseArtifactEvent(event('aws.ecr', 'image-push'))).toEqual({
      artifact: {
        kind: 'ecr-image',
        repository: 'web',
        digest: 'sha256:9b2e4f1a7c3d5e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f',
        tag: 'release-43',
      },
    });
  });

  it('an untagged push has no tag', () => {
    const parsed = parseArtifactEvent(event('aws.ecr', 'image-push-untagged'));

    expect(parsed).toEqual({ artifact: expect.objectContaining({ kind: 'ecr-image', repository: 'web' }) });
    expect('artifact' in parsed && 'tag' in parsed.artifact).toBe(false);
  });

  it.each([
    ['image-push-failed', 'did not succeed (FAILURE)'],
    ['image-delete', 'ECR DELETE of web@sha256:9b2e4f1a'],
  ])('ignores the ECR event %s', (variant, reason) => {
    expect(parseArtifactEvent(event('aws.ecr', variant))).toEqual({ ignored: expect.stringContaining(reason) });
  });

  it('an object created in S3 names the bucket, the key, and what tells this upload apart', () => {
    expect(parseArtifactEvent(event('aws.s3', 'object-created'))).toEqual({
      artifact: {
        kind: 's3-object',
        bucket: 'coalmine-releases',
        key: 'lambda/checkout/42.json',
        etag: 'b1946ac92492d2347c6235b4d2611184',
        sequencer: '0067C6D2F0A1B2C3D4',
      },
    });
    expect(parseArtifactEvent(event('aws.s3', 'object-created-multipart-versioned'))).toEqual({
      artifact: expect.objectContaining({ key: 'bundles/web/2025-03-04T10:12:40.tar.gz', versionId: 'Q3v9Lm2xR8tKp0Wn5Yb7Hc1Jd4Fg6Sa' }),
    });
  });

  it.each([
    ['an alarm event', event('aws.cloudwatch', 'alarm-state-change-to-alarm'), 'not an artifact event (source "aws.cloudwatch"'],
    ['nothing', undefined, 'not an artifact event (source undefined'],
    ['an S3 event without a key', { source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: 'b' }, object: {} } }, 'detail.object.key'],
  ])('ignores %s', (_label, input, reason) => {
    expect(parseArtifactEvent(input)).toEqual({ ignored: expect.stringContaining(reason) });
  });
});

describe('execution names', () => {
  const STEP_FUNCTIONS_NAME = /^[A-Za-z0-9_-]{1,80}$/;

  it.each<[string, Artifact, string | RegExp]>([
    ['function and version', { kind: 'lambda-version', functionName: 'checkout', version: '42' }, 'lambda-checkout-42'],
    [
      'repository and the first 12 hex digits of the digest',
      { kind: 'ecr-image', repository: 'team/web.app', digest: 'sha256:9b2e4f1a7c3d5e6f8a0b1c2d3e4f5a6b', tag: 'v1' },
      'ecr-team-web-app-9b2e4f1a7c3d',
    ],
    ['bucket and a hash of the upload', { kind: 's3-object', bucket: 'coalmine.releases', key: 'a b/c.json', sequencer: '0067' }, /^s3-coalmine-releases-[0-9a-f]{16}$/],
  ])('are readable: %s', (_label, artifact, expected) => {
    const name = executionNameFor(artifact);

    expect(name).toMatch(expected);
    expect(name).toMatch(STEP_FUNCTIONS_NAME);
  });

  it('are the same for a repeated event and differ for another artifact', () => {
    const upload = { kind: 's3-object', bucket: 'b', key: 'k', sequencer: '0067C6D2F0A1B2C3D4' } as const;

    expect(executionNameFor({ ...upload })).toBe(executionNameFor(upload));
    expect(executionNameFor({ ...upload, sequencer: '0067C6D2F0A1B2C3D5' })).not.toBe(executionNameFor(upload));
    expect(executionNameFor({ ...upload, key: 'k2' })).not.toBe(executionNameFor(upload));
    // The same image under another tag is the same artifact.
    const image = { kind: 'ecr-image', repository: 'web', digest: 'sha256:9b2e4f1a7c3d5e6f8a0b' } as const;
    expect(executionNameFor({ ...image, tag: 'latest' })).toBe(executionNameFor({ ...image, tag: 'release-43' }));
  });

  it('stay within 80 characters and unique when the parts are long', () => {
    const longName = `f${'x'.repeat(63)}`;
    const a = executionNameFor({ kind: 'lambda-version', functionName: longName, version: '123456789' });
    const b = executionNameFor({ kind: 'lambda-version', functionName: longName, version: '123456790' });

    expect(a).toMatch(STEP_FUNCTIONS_NAME);
    expect(a).toHaveLength(80);
    expect(a.startsWith(`lambda-${longName.slice(0, 40)}`)).toBe(true);
    expect(a).not.toBe(b);
  });
});
