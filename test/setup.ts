// aws-local-stepfunctions 3 calls Promise.withResolvers, which Node 20 lacks.
import '../shared/polyfills';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// Handler tests that run as if in Lambda would print their EMF metrics; test/handlers/metrics-emf.test.ts turns them on.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_REGION ??= 'us-east-1';
// The SDK's notice that it will need Node 22 in 2027: known, and noise in every test run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
