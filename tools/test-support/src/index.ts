export { fixtureBytes, writeFixtureLock, type FixtureLock, type FixturePlugin, type FixtureRulesfile } from './fixture-lock.ts';
export { describeObjectReaderContract, describeObjectStoreContract, type OpenedObjectStore } from './object-store.contract.ts';
export { emptyBucket, openTestbedBucket, type TestbedBucket } from './testbed-s3.ts';
export { freePort, startOwnMinio, type OwnMinio } from './own-minio.ts';
export { parseLink, tcpProxy, type LinkMode, type ProxyMode, type TcpProxy } from './tcp-proxy.ts';
export { scopedCredentials, type ScopedCredentials } from './scoped-credentials.ts';
export { chartPath, parseManifests, testbedTools, type K8sObject, type RunResult, type TestbedTools } from './testbed-tools.ts';
export { ensureImageBases, ensureTestbedImageBases, LOADER_BASE_IMAGE } from './image-bases.ts';
export { failure } from './failure.ts';
