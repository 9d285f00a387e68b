import {
  chartReference,
  deploy,
  formatDeployPlan,
  isDeployError,
  planDeploy,
  readChart,
  readValuesSources,
  type ChartInfo,
  type ComputedValues,
  type DeployEvent,
  type DeployPlan,
  type DeployResult,
  type HelmRevision,
} from '@falco-airgap/eks-deployer';
import { ValuesError } from '@falco-airgap/helm-values-schema';
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { CliError, CliErrorCode } from '../cli-error.ts';
import type { ResolvedEnvironment } from '../environment.ts';
import type { ClusterTarget } from '../options/cluster.ts';
import type { Reporter } from '../output/reporter.ts';
import { openCluster } from './open-cluster.ts';
import type { StageDeps, StageOutcome } from './stage.ts';

export interface DeployStageInput {
  release: string;
  namespace: string;
  /** A chart directory (resolved against the working directory) or an oci:// / repo reference. */
  chart: string;
  /** Needed for a chart reference, ignored for a directory. */
  chartVersion?: string | undefined;
  /** Values files in helm -f order, as the user named them. */
  valuesFiles: string[];
  /** What earlier stages computed (image digests, the S3 release or channel), laid over the files. */
  computed?: ComputedValues | undefined;
  timeoutSeconds: number;
  /** Plan and print; touch nothing but reads. */
  dryRun: boolean;
  /** Where the bundle of a failed deploy is written. */
  diagnosticsDir: string;
  cluster: ClusterTarget;
}

export interface DeployStageData {
  plan: DeployPlan;
  /** Absent on a dry run. */
  result?: DeployResult | undefined;
}

export interface DeployStageDeps extends StageDeps {
  environment: ResolvedEnvironment;
  /** The cluster factory; the kubeconfig or EKS connection, client-node and the helm binary by default. */
  openCluster?: typeof openCluster | undefined;
}

/** The deploy stage: read chart and values, plan against the release's history, then deploy and verify (or print the plan). */
export async function deployStage(input: DeployStageInput, deps: DeployStageDeps): Promise<StageOutcome<DeployStageData>> {
  const chart = await resolveChart(input, deps.cwd);
  const layers = await readValuesSources(input.valuesFiles.map((file) => resolve(deps.cwd, file)));
  const planFor = (cluster: string, history: HelmRevision[]) =>
    planDeploy({
      release: input.release,
      namespace: input.namespace,
      chart,
      layers,
      computed: input.computed,
      cluster,
      timeoutSeconds: input.timeoutSeconds,
      history,
    });
  // Values are refused before the cluster is even contacted, dry run or not.
  const issues = planFor('', []).issues;
  if (issues.length) throw new ValuesError(issues);
  const opened = await (deps.openCluster ?? openCluster)(input.cluster, deps.environment, deps.signal);
  try {
    const plan = planFor(opened.connection.description, await opened.helm.history(input.release, input.namespace, deps.signal));
    if (input.dryRun) return { summary: `deploy plan (dry run):\n${formatDeployPlan(plan).join('\n')}`, data: { plan } };
    const result = await deploy(
      plan,
      { cluster: opened.cluster, helm: opened.helm },
      { diagnosticsDir: resolve(deps.cwd, input.diagnosticsDir), signal: deps.signal, onEvent: reportDeployEvents(deps.reporter) },
    ).catch((error: unknown) => {
      reportDiagnosis(error, deps.reporter);
      throw error;
    });
    return { summary: summarize(plan, result), data: { plan, result } };
  } finally {
    await opened.close();
  }
}

async function resolveChart(input: DeployStageInput, cwd: string): Promise<ChartInfo> {
  const dir = resolve(cwd, input.chart);
  if (existsSync(dir) && statSync(dir).isDirectory()) return readChart(dir);
  if (!/^(oci|https?):\/\//.test(input.chart) && !/^[\w.-]+\/[\w.-]+$/.test(input.chart)) {
    throw new CliError(
      `--chart ${input.chart} is neither a chart directory nor a chart reference`,
      CliErrorCode.Usage,
      'input',
      'e.g. --chart helm/falco-airgap',
    );
  }
  if (!input.chartVersion) {
    throw new CliError(`--chart ${input.chart} is a reference: its version must be pinned`, CliErrorCode.Usage, 'input', 'add --chart-version, e.g. 0.1.0');
  }
  return chartReference(input.chart, basename(input.chart), input.chartVersion);
}

/** The deployer's events as the CLI's task rows. */
export function reportDeployEvents(reporter: Reporter): (event: DeployEvent) => void {
  return (event) => {
    switch (event.type) {
      case 'namespace':
        reporter.event({
          type: 'task',
          id: 'namespace',
          title: `namespace ${event.namespace}`,
          status: event.status === 'created' ? 'done' : 'skipped',
          detail: event.status,
        });
        return;
      case 'helm': {
        const title = `helm ${event.action} ${event.release}`;
        if (event.status === 'running') reporter.event({ type: 'task', id: 'helm', title, status: 'running', detail: 'waiting for the pods' });
        else if (event.status === 'done') reporter.event({ type: 'task', id: 'helm', title, status: 'done', detail: `revision ${event.revision}` });
        else
          reporter.event({
            type: 'task',
            id: 'helm',
            title,
            status: 'skipped',
            detail: `unchanged: revision ${event.revision ?? '?'} runs this chart with these values`,
          });
        return;
      }
      case 'rollout': {
        const ready = event.state.pods.filter((p) => p.ready).length;
        const detail = event.status === 'done' ? `${ready}/${event.state.pods.length} pods ready` : `waiting for ${event.state.waitingFor}`;
        reporter.event({ type: 'task', id: 'rollout', title: 'verify the rollout', status: event.status === 'done' ? 'done' : 'running', detail });
        return;
      }
      case 'diagnostics':
        return;
    }
  };
}

/** The likely cause as one diagnostic, the other lines of the diagnosis for the log. */
function reportDiagnosis(error: unknown, reporter: Reporter): void {
  if (!isDeployError(error) || !error.diagnosis) return;
  const { diagnosis, diagnosticsFile } = error;
  reporter.event({
    type: 'diagnostic',
    severity: 'error',
    code: 'DEPLOY_DIAGNOSIS',
    message: diagnosis.summary[0] ?? `likely cause: ${diagnosis.title}`,
    hint: diagnosis.hint,
    ...(diagnosticsFile ? { location: diagnosticsFile } : {}),
  });
  const rest = diagnosis.summary.slice(1).filter((line) => !line.startsWith('what to do: '));
  if (diagnosticsFile) rest.push(`diagnostics: ${diagnosticsFile}`);
  if (rest.length) reporter.info(rest.map((line) => `  ${line}`).join('\n'));
}

function summarize(plan: DeployPlan, result: DeployResult): string {
  const ready = result.rollout.pods.filter((p) => p.ready).length;
  const pods = `${ready}/${result.rollout.pods.length} pods ready`;
  const where = `in namespace ${plan.namespace} on ${plan.cluster}`;
  if (result.outcome === 'unchanged')
    return `release ${plan.release} ${where} already runs this chart with these values (revision ${result.revision}): nothing deployed; ${pods}`;
  return `${result.outcome} release ${plan.release} ${where}: revision ${result.revision}, ${pods}`;
}
