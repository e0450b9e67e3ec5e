// aws-local-stepfunctions 3 calls Promise.withResolvers, which Node 20 lacks.
import '../shared/polyfills';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_REGION ??= 'us-east-1';
