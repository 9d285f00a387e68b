export { FakeRegistry, type AuthMode, type Faults, type LoggedRequest, type PushableArtifact, type StoredManifest } from './fake-registry.ts';
export { startFaultProxy, type FaultPlan, type FaultProxy } from './fault-proxy.ts';
export { startForwardProxy, type ForwardProxy, type ForwardProxyOptions } from './forward-proxy.ts';
