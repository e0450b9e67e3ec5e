/**
 * Environment for the command, set before anything else is imported (main.ts imports this first):
 * the handlers' logger reads its level when its module loads.
 */

// The handlers log failures as JSON lines to stdout; in a simulation the progress lines say it better.
// Set POWERTOOLS_LOG_LEVEL yourself to see them.
process.env.POWERTOOLS_LOG_LEVEL ||= 'SILENT';
// The simulated AWS clients never leave the process; the SDK's Node-version notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ||= 'true';

export {};
