export { FakeCluster } from './fake-cluster.ts';
export { FakeHelm, type FakeHelmOptions } from './fake-helm.ts';
export { daemonSet, deployment, event, pod, type PodShape } from './objects.ts';
