import { describeHelmContract } from './helm.contract.ts';
import { FakeHelm } from './test-support/fake-helm.ts';

describeHelmContract('in-memory helm', async () => ({ helm: new FakeHelm(), namespace: 'falco', chart: 'helm/falco-airgap' }));
