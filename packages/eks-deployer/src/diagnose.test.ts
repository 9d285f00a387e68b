import { describe, expect, it } from 'vitest';
import { diagnose, type DiagnosticsSnapshot } from './diagnose.ts';
import { daemonSet, deployment, event, pod } from './test-support/objects.ts';

const snapshot = (parts: Partial<DiagnosticsSnapshot>): DiagnosticsSnapshot => ({
  release: 'falco',
  namespace: 'falco',
  cluster: 'kube context test',
  collectedAt: '2026-01-01T00:10:00.000Z',
  workloads: [daemonSet('falco', { numberReady: 1, numberAvailable: 1 })],
  pods: [],
  events: [],
  logs: [],
  helmHistory: [],
  gaps: [],
  ...parts,
});

const waiting = (reason: string, message: string) => ({ state: { waiting: { reason, message } }, ready: false });

describe('diagnose', () => {
  it('names an image that cannot be pulled, with the pod, container and kubelet message', () => {
    const message = 'Back-off pulling image "localhost:5000/falco@sha256:0123": ErrImagePull: manifest unknown';
    const diagnosis = diagnose(
      snapshot({
        pods: [pod({ name: 'falco-x1', release: 'falco', node: 'node-1', phase: 'Pending', ready: false, containers: [waiting('ImagePullBackOff', message)] })],
        events: [event('Pod', 'falco-x1', 'Failed', 'Failed to pull image "localhost:5000/falco@sha256:0123": manifest unknown', 'Warning', 3)],
        helmHistory: [
          {
            revision: 4,
            status: 'failed',
            chart: 'falco-airgap-0.1.0',
            appVersion: '0.44.1',
            updated: '',
            description: 'Upgrade "falco" failed: context deadline exceeded',
          },
        ],
      }),
    );
    expect(diagnosis.cause).toBe('image-pull');
    expect(diagnosis.summary[0]).toBe(`likely cause: image pull — falco-x1 container falco: ImagePullBackOff: ${message}`);
    expect(diagnosis.summary).toContain('DaemonSet falco-falco-airgap: 1/2 ready, 2/2 updated');
    expect(diagnosis.summary).toContain('warning events: Failed ×3');
    expect(diagnosis.summary).toContain('helm: revision 4 failed (Upgrade "falco" failed: context deadline exceeded)');
    expect(diagnosis.summary[diagnosis.summary.length - 1]).toMatch(/^what to do: check the image reference/);
  });

  it('names a failed init container with its exit code and last log line', () => {
    const diagnosis = diagnose(
      snapshot({
        pods: [
          pod({
            name: 'falco-x2',
            release: 'falco',
            phase: 'Pending',
            ready: false,
            initContainers: [
              {
                name: 'plugin-loader',
                restartCount: 3,
                state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
                lastState: { terminated: { exitCode: 3, reason: 'Error' } },
                ready: false,
              },
            ],
            containers: [waiting('PodInitializing', '')],
          }),
        ],
        logs: [{ pod: 'falco-x2', container: 'plugin-loader', previous: true, lines: ['verifying libk8saudit.so', 'sha256 mismatch for libk8saudit.so'] }],
      }),
    );
    expect(diagnosis.cause).toBe('init-container-failed');
    expect(diagnosis.summary[0]).toBe(
      'likely cause: init container failed — falco-x2: CrashLoopBackOff: init container plugin-loader exit code 3 (Error), 3 restarts',
    );
    expect(diagnosis.summary).toContain('last log line of plugin-loader: sha256 mismatch for libk8saudit.so');
  });

  it('names a crash loop of the Falco container', () => {
    const diagnosis = diagnose(
      snapshot({
        pods: [
          pod({
            name: 'falco-x3',
            release: 'falco',
            ready: false,
            containers: [
              {
                restartCount: 5,
                state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s' } },
                lastState: { terminated: { exitCode: 1, reason: 'Error', message: 'Error: could not load plugin\n' } },
              },
            ],
          }),
        ],
        events: [event('Pod', 'falco-x3', 'BackOff', 'Back-off restarting failed container falco in pod falco-x3', 'Warning', 12)],
      }),
    );
    expect(diagnosis.cause).toBe('crash-loop');
    expect(diagnosis.findings[0]!.message).toBe('container falco exit code 1 (Error), 5 restarts: Error: could not load plugin');
  });

  it('names pods no node can run, from the pod condition and the scheduler events', () => {
    const diagnosis = diagnose(
      snapshot({
        workloads: [deployment('falco', { readyReplicas: 0, availableReplicas: 0 })],
        pods: [
          pod({
            name: 'falco-x4',
            release: 'falco',
            phase: 'Pending',
            ready: false,
            containers: [],
            conditions: [
              {
                type: 'PodScheduled',
                status: 'False',
                reason: 'Unschedulable',
                message: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.",
              },
            ],
          }),
        ],
        events: [event('Pod', 'falco-x4', 'FailedScheduling', "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.")],
      }),
    );
    expect(diagnosis.cause).toBe('unschedulable');
    expect(diagnosis.findings).toHaveLength(1);
    expect(diagnosis.summary[0]).toContain("didn't match Pod's node affinity/selector");
  });

  it('names a DaemonSet that matches no node', () => {
    const diagnosis = diagnose(
      snapshot({ workloads: [daemonSet('falco', { desiredNumberScheduled: 0, numberReady: 0, updatedNumberScheduled: 0, numberAvailable: 0 })] }),
    );
    expect(diagnosis).toMatchObject({ cause: 'unschedulable', findings: [{ reason: 'NoNodeMatches' }] });
  });

  it('names pods the cluster refused to create, and pods gone since an atomic rollback', () => {
    const rejected = diagnose(
      snapshot({
        events: [
          event(
            'DaemonSet',
            'falco-falco-airgap',
            'FailedCreate',
            'pods "falco-falco-airgap-x" is forbidden: violates PodSecurity "baseline:latest": privileged',
          ),
        ],
      }),
    );
    expect(rejected.cause).toBe('pod-rejected');
    const gone = diagnose(
      snapshot({
        workloads: [],
        pods: [{ ...pod({ name: 'falco-x5', release: 'falco', ready: false, containers: [waiting('ErrImagePull', 'not found')] }), gone: true }],
      }),
    );
    expect(gone.cause).toBe('image-pull');
    expect(gone.summary).toContain('no DaemonSet or Deployment of release falco is left in namespace falco');
  });

  it('reads pods the rollback is deleting, but not helm test pods', () => {
    const failing = { ready: false, containers: [waiting('ErrImagePull', 'pull access denied')] };
    expect(diagnose(snapshot({ pods: [pod({ name: 'p', release: 'falco', terminating: true, ...failing })] })).cause).toBe('image-pull');
    expect(diagnose(snapshot({ pods: [pod({ name: 't', release: 'falco', annotations: { 'helm.sh/hook': 'test' }, ...failing })] })).cause).toBe('not-ready');
  });

  it('names a missing Secret, a pod that never becomes ready, and a locked release', () => {
    expect(
      diagnose(
        snapshot({
          pods: [pod({ name: 'p', release: 'falco', ready: false, containers: [waiting('CreateContainerConfigError', 'secret "s3-keys" not found')] })],
        }),
      ).cause,
    ).toBe('container-config');
    expect(diagnose(snapshot({ pods: [pod({ name: 'p', release: 'falco', ready: false })] })).cause).toBe('not-ready');
    expect(diagnose(snapshot({ failure: { code: 'DEPLOY_HELM_LOCKED', message: 'another helm operation is in progress' } })).cause).toBe('helm-locked');
    const conflict = diagnose(
      snapshot({
        failure: {
          code: 'DEPLOY_HELM_FAILED',
          message:
            'helm upgrade --install of falco failed: Unable to continue with install: ClusterRole "falco-falco-airgap" in namespace "" exists and cannot be imported into the current release: invalid ownership metadata',
        },
      }),
    );
    expect(conflict.cause).toBe('helm-conflict');
    expect(conflict.hint).toContain('pick another release name');
  });

  it('ignores events about other releases and normal events', () => {
    const diagnosis = diagnose(
      snapshot({
        events: [
          event('Pod', 'other-release-pod', 'FailedScheduling', 'no'),
          event('Pod', 'falco-falco-airgap-a', 'Pulled', 'Successfully pulled image', 'Normal'),
        ],
      }),
    );
    expect(diagnosis.findings).toEqual([]);
    expect(diagnosis.cause).toBe('not-ready');
  });
});
