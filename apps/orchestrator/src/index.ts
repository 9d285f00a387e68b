export { runCli, type CliEnvironment } from './program.ts';
export { ExitCode, exitCodeFor } from './exit-codes.ts';
export { CliError, CliErrorCode } from './cli-error.ts';
export { formatPlan, planPipeline, PLUGIN_STRATEGIES, type PipelineOptions, type PlannedStage, type PluginStrategy } from './pipeline-plan.ts';
export type { CliEvent, DiagnosticEvent, ErrorSummary, ProgressEvent, ResultEvent, TaskEvent } from './output/events.ts';
