import { startFromArtifact } from '../shared/artifacts/start-from-artifact';
import { lambdaHandler } from '../shared/handler';

/** EventBridge: Lambda version published, ECR image pushed, S3 object created → start the rollout its rule names. */
export const handler = lambdaHandler((event: unknown) => startFromArtifact(event));
