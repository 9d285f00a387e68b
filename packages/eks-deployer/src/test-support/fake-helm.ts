import { validateValues, type ValuesLayer } from '@falco-airgap/helm-values-schema';
import { DeployError, DeployErrorCode } from '../errors.ts';
import type { HelmPort, HelmReleaseStatus, HelmRevision, HelmTestResult, HelmUpgradeRequest } from '../helm.ts';

interface StoredRevision extends HelmRevision {
  values: ValuesLayer;
}

export interface FakeHelmOptions {
  /** Chart metadata by reference; any other reference is falco-airgap 0.1.0 (app 0.44.1). */
  charts?: Record<string, { name: string; version: string; appVersion: string }>;
  /** Called for every upgrade after the values passed: throw to make it fail (e.g. a timeout), or change a fake cluster. */
  onUpgrade?: ((request: HelmUpgradeRequest, revision: number) => void | Promise<void>) | undefined;
  /** What `test` reports per release; none means the chart has no tests. */
  tests?: Record<string, HelmTestResult['tests']>;
  now?: (() => Date) | undefined;
}

/**
 * helm in memory, behind the same port: revisions, statuses and descriptions as helm keeps them,
 * values refused as the chart refuses them (validateValues), atomic rollback of failed upgrades.
 */
export class FakeHelm implements HelmPort {
  readonly releases = new Map<string, StoredRevision[]>();
  readonly upgrades: HelmUpgradeRequest[] = [];
  readonly #options: FakeHelmOptions;

  constructor(options: FakeHelmOptions = {}) {
    this.#options = options;
  }

  async upgradeInstall(request: HelmUpgradeRequest): Promise<HelmReleaseStatus> {
    const issues = validateValues(request.values);
    if (issues.length) {
      const first = issues[0]!;
      throw new DeployError(
        DeployErrorCode.ChartRejected,
        `helm upgrade --install of ${request.release}: the chart refused to render: ${first.code}: ${first.message}`,
        'fix the values the message names',
      );
    }
    this.upgrades.push(request);
    const key = this.#key(request.release, request.namespace);
    const revisions = this.releases.get(key) ?? [];
    const live = revisions.filter((r) => r.status !== 'uninstalled');
    const number = (revisions[revisions.length - 1]?.revision ?? 0) + 1;
    const chart = this.#options.charts?.[request.chart] ?? { name: 'falco-airgap', version: '0.1.0', appVersion: '0.44.1' };
    const revision: StoredRevision = {
      revision: number,
      status: 'deployed',
      chart: `${chart.name}-${chart.version}`,
      appVersion: chart.appVersion,
      updated: (this.#options.now?.() ?? new Date()).toISOString(),
      description: request.description ?? (live.length ? 'Upgrade complete' : 'Install complete'),
      values: structuredClone(request.values),
    };
    try {
      await this.#options.onUpgrade?.(request, number);
    } catch (error) {
      revision.status = 'failed';
      revision.description = error instanceof Error ? error.message : String(error);
      if (request.atomic && live.length === 0) {
        this.releases.delete(key);
      } else if (request.atomic) {
        const previous = live.filter((r) => r.status === 'deployed' || r.status === 'superseded').pop();
        for (const r of revisions) if (r.status === 'deployed') r.status = 'superseded';
        revisions.push(revision);
        if (previous) revisions.push({ ...previous, revision: number + 1, status: 'deployed', description: `Rollback to ${previous.revision}` });
        this.releases.set(key, revisions);
      } else {
        revisions.push(revision);
        this.releases.set(key, revisions);
      }
      throw error;
    }
    for (const r of revisions) if (r.status === 'deployed') r.status = 'superseded';
    revisions.push(revision);
    this.releases.set(key, revisions);
    return this.#status(request.release, request.namespace, revision);
  }

  async history(release: string, namespace: string): Promise<HelmRevision[]> {
    return (this.releases.get(this.#key(release, namespace)) ?? []).map(({ values: _values, ...revision }) => ({ ...revision }));
  }

  async status(release: string, namespace: string): Promise<HelmReleaseStatus | undefined> {
    const revisions = this.releases.get(this.#key(release, namespace));
    const last = revisions?.[revisions.length - 1];
    return last ? this.#status(release, namespace, last) : undefined;
  }

  async test(release: string, namespace: string): Promise<HelmTestResult> {
    if (!this.releases.has(this.#key(release, namespace))) {
      throw new DeployError(DeployErrorCode.HelmFailed, `helm test of ${release} failed: release: not found`, 'install the release first');
    }
    const tests = this.#options.tests?.[release] ?? [];
    return { passed: tests.every((t) => t.phase === 'Succeeded'), tests };
  }

  async uninstall(release: string, namespace: string): Promise<'uninstalled' | 'absent'> {
    return this.releases.delete(this.#key(release, namespace)) ? 'uninstalled' : 'absent';
  }

  #status(release: string, namespace: string, revision: StoredRevision): HelmReleaseStatus {
    const { values, ...rest } = revision;
    return { ...rest, name: release, namespace, values: structuredClone(values), notes: '' };
  }

  #key(release: string, namespace: string): string {
    return `${namespace}/${release}`;
  }
}
