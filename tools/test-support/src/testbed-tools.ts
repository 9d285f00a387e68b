import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot, requireTestbed } from '@falco-airgap/testbed/env';

export const chartPath = join(repoRoot, 'helm', 'falco-airgap');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(binary: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(binary, args, { env: options.env, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 240_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** A Kubernetes object as the tests read it: loose, but with the fields every object has. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** helm and kubectl from the testbed, with helm's homes in a temporary directory. */
export function testbedTools() {
  const env = requireTestbed('TESTBED_HELM', 'TESTBED_KUBECONFIG', 'TESTBED_KUBECTL', 'TESTBED_KUBE_VERSION');
  const home = mkdtempSync(join(tmpdir(), 'falco-airgap-chart-'));
  const helmEnv = {
    ...process.env,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
    KUBECONFIG: env.TESTBED_KUBECONFIG!,
  };
  const kubeVersion = env.TESTBED_KUBE_VERSION!;
  const tools = {
    kubeVersion,
    helm: (args: readonly string[], options: { input?: string; timeoutMs?: number } = {}) => run(env.TESTBED_HELM!, args, { ...options, env: helmEnv }),
    kubectl: (args: readonly string[], options: { input?: string } = {}) =>
      run(env.TESTBED_KUBECTL!, ['--kubeconfig', env.TESTBED_KUBECONFIG!, ...args], options),
    /** `helm template` of the chart (or another chart dir) for the testbed's Kubernetes version. */
    template: (release: string, namespace: string, args: readonly string[] = [], chart = chartPath) =>
      tools.helm(['template', release, chart, '--namespace', namespace, '--kube-version', kubeVersion, ...args]),
    async kubectlJson<T = K8sObject>(args: readonly string[]): Promise<T> {
      const result = await tools.kubectl([...args, '-o', 'json']);
      if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
      return JSON.parse(result.stdout) as T;
    },
    async ensureNamespace(name: string): Promise<void> {
      const manifest = JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      const result = await tools.kubectl(['apply', '-f', '-'], { input: manifest });
      if (result.code !== 0) throw new Error(`cannot create namespace ${name}: ${result.stderr}`);
    },
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
  return tools;
}

export type TestbedTools = ReturnType<typeof testbedTools>;

/** The objects of a rendered manifest stream, in order. */
export function parseManifests(stream: string): K8sObject[] {
  return parseAllDocuments(stream)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`rendered YAML does not parse: ${doc.errors[0]!.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null);
}
