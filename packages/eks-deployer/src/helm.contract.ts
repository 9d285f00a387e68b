import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployErrorCode, isDeployError } from './errors.ts';
import type { HelmPort } from './helm.ts';

export interface HelmContractSubject {
  helm: HelmPort;
  /** A namespace that exists and holds no release of the contract's name. */
  namespace: string;
  /** The falco-airgap chart (a directory for the real helm; any reference for the fake). */
  chart: string;
  cleanup?: () => Promise<void>;
}

// Values the chart renders and the testbed's kwok nodes run; the test hook is off so `test` has nothing to run.
const INSTALL_VALUES = { pluginStrategy: 'sidecar', test: { enabled: false }, falco: { json_output: true } };
const UPGRADE_VALUES = { ...INSTALL_VALUES, falco: { json_output: true, priority: 'notice' } };

/**
 * What every HelmPort must do, run against the in-memory helm and the real helm on the testbed, so
 * the deployer's unit tests rely on the same behaviour the real binary has.
 */
export function describeHelmContract(name: string, setup: () => Promise<HelmContractSubject>): void {
  describe(`HelmPort contract: ${name}`, () => {
    let subject: HelmContractSubject;
    const release = 'contract';
    const request = (values: Record<string, unknown>, description: string) => ({
      release,
      namespace: subject.namespace,
      chart: subject.chart,
      values,
      atomic: true,
      wait: true,
      timeoutSeconds: 120,
      description,
    });

    beforeAll(async () => {
      subject = await setup();
      await subject.helm.uninstall(release, subject.namespace, { wait: true, timeoutSeconds: 60 });
    });
    afterAll(async () => {
      await subject.helm.uninstall(release, subject.namespace, { wait: true, timeoutSeconds: 60 });
      await subject.cleanup?.();
    });

    it('knows no release that was never installed', async () => {
      expect(await subject.helm.status(release, subject.namespace)).toBeUndefined();
      expect(await subject.helm.history(release, subject.namespace)).toEqual([]);
    });

    it('installs revision 1 with the values and description given', async () => {
      const installed = await subject.helm.upgradeInstall(request(INSTALL_VALUES, 'first'));
      expect(installed).toMatchObject({ name: release, namespace: subject.namespace, revision: 1, status: 'deployed', description: 'first' });
      expect(installed.chart).toMatch(/^falco-airgap-\d+\.\d+\.\d+/);
      expect(installed.values).toEqual(INSTALL_VALUES);
      const status = await subject.helm.status(release, subject.namespace);
      expect(status).toMatchObject({
        revision: 1,
        status: 'deployed',
        description: 'first',
        values: INSTALL_VALUES,
        chart: installed.chart,
        appVersion: installed.appVersion,
      });
    });

    it('upgrades to revision 2 and keeps the first in the history as superseded', async () => {
      const upgraded = await subject.helm.upgradeInstall(request(UPGRADE_VALUES, 'second'));
      expect(upgraded).toMatchObject({ revision: 2, status: 'deployed', values: UPGRADE_VALUES });
      const history = await subject.helm.history(release, subject.namespace);
      expect(history.map((h) => [h.revision, h.status, h.description])).toEqual([
        [1, 'superseded', 'first'],
        [2, 'deployed', 'second'],
      ]);
      expect(history[1]!.chart).toBe(upgraded.chart);
      expect(history[1]!.appVersion).toBe(upgraded.appVersion);
    });

    it('refuses values the chart refuses, naming the values code, and records no revision', async () => {
      const refused = await subject.helm.upgradeInstall(request({ ...INSTALL_VALUES, pluginStrategy: 's3' }, 'refused')).catch((error: unknown) => error);
      expect(isDeployError(refused, DeployErrorCode.ChartRejected), String(refused)).toBe(true);
      expect((refused as Error).message).toContain('VALUES_S3_BUCKET_REQUIRED');
      expect((await subject.helm.history(release, subject.namespace)).map((h) => h.revision)).toEqual([1, 2]);
    });

    it('runs no test when the chart renders none', async () => {
      expect(await subject.helm.test(release, subject.namespace, { timeoutSeconds: 60 })).toEqual({ passed: true, tests: [] });
    });

    it('uninstalls once; after that there is nothing to remove', async () => {
      expect(await subject.helm.uninstall(release, subject.namespace, { wait: true, timeoutSeconds: 60 })).toBe('uninstalled');
      expect(await subject.helm.uninstall(release, subject.namespace, { wait: true, timeoutSeconds: 60 })).toBe('absent');
      expect(await subject.helm.status(release, subject.namespace)).toBeUndefined();
    });
  });
}
