import { describe, expect, it } from 'vitest';
import { assessRollout, assessWorkload, waitForRollout } from './rollout.ts';
import { FakeCluster } from './test-support/fake-cluster.ts';
import { daemonSet, deployment, pod } from './test-support/objects.ts';

describe('assessWorkload', () => {
  it('a DaemonSet is rolled out when desired = updated = ready = available and the spec is observed', () => {
    expect(assessWorkload(daemonSet('falco'))).toMatchObject({ kind: 'DaemonSet', desired: 2, done: true, waitingFor: undefined });
    expect(assessWorkload(daemonSet('falco', { observedGeneration: 1 }, 2)).waitingFor).toBe('the DaemonSet controller to see the new spec');
    expect(assessWorkload(daemonSet('falco', { updatedNumberScheduled: 1 })).waitingFor).toBe('1 of 2 pods to be updated');
    expect(assessWorkload(daemonSet('falco', { numberReady: 0 })).waitingFor).toBe('2 of 2 pods to become ready');
    expect(assessWorkload(daemonSet('falco', { numberAvailable: 1 })).waitingFor).toBe('1 of 2 pods to become available');
  });

  it('a DaemonSet that matches no node is not rolled out', () => {
    const progress = assessWorkload(daemonSet('falco', { desiredNumberScheduled: 0, numberReady: 0, updatedNumberScheduled: 0, numberAvailable: 0 }));
    expect(progress).toMatchObject({ done: false, waitingFor: expect.stringContaining('matches no node') });
  });

  it('a Deployment is rolled out when every replica is updated, ready and available and no old one is left', () => {
    expect(assessWorkload(deployment('falco', {}, 2)).done).toBe(true);
    expect(assessWorkload(deployment('falco', { replicas: 3 }, 2)).waitingFor).toBe('1 old replicas to be removed');
    expect(assessWorkload(deployment('falco', { readyReplicas: 1 }, 2)).waitingFor).toBe('1 of 2 replicas to become ready');
  });
});

describe('assessRollout', () => {
  it('needs every pod of the release ready, not counting pods going away or helm test pods', () => {
    const pods = [
      pod({ name: 'a', release: 'falco' }),
      pod({ name: 'old', release: 'falco', ready: false, terminating: true }),
      pod({ name: 'test', release: 'falco', ready: false, annotations: { 'helm.sh/hook': 'test' } }),
    ];
    expect(assessRollout([daemonSet('falco')], pods)).toMatchObject({ done: true, pods: [{ name: 'a', ready: true }] });
    const notReady = assessRollout([daemonSet('falco')], [...pods, pod({ name: 'b', release: 'falco', ready: false })]);
    expect(notReady).toMatchObject({ done: false, waitingFor: 'pod b to become ready' });
  });

  it('is not done without any workload', () => {
    expect(assessRollout([], [])).toMatchObject({ done: false, waitingFor: expect.stringContaining('none exists') });
  });
});

describe('waitForRollout', () => {
  it('reads until the rollout is done', async () => {
    const cluster = new FakeCluster();
    cluster.setWorkloads('falco', [daemonSet('falco', { numberReady: 1 })]);
    let reads = 0;
    const state = await waitForRollout(cluster, {
      namespace: 'falco',
      release: 'falco',
      timeoutMs: 10_000,
      intervalMs: 1,
      onProgress: () => {
        if (++reads === 3) cluster.setWorkloads('falco', [daemonSet('falco')]);
      },
    });
    expect(state.done).toBe(true);
    expect(reads).toBe(4);
  });

  it('stops waiting for a DaemonSet that matches no node: time will not change that', async () => {
    const cluster = new FakeCluster();
    cluster.setWorkloads('falco', [daemonSet('falco', { desiredNumberScheduled: 0, numberReady: 0, updatedNumberScheduled: 0, numberAvailable: 0 })]);
    const started = Date.now();
    const state = await waitForRollout(cluster, { namespace: 'falco', release: 'falco', timeoutMs: 60_000, intervalMs: 1_000 });
    expect(state).toMatchObject({ done: false, stuck: true });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('returns the last state when the time is up', async () => {
    const cluster = new FakeCluster();
    cluster.setWorkloads('falco', [daemonSet('falco', { numberReady: 1 })]);
    const state = await waitForRollout(cluster, { namespace: 'falco', release: 'falco', timeoutMs: 20, intervalMs: 5 });
    expect(state).toMatchObject({ done: false, waitingFor: '1 of 2 pods to become ready' });
  });
});
