/**
 * A versions catalogue for tests, independent of the shipped one and of the day they run: 0.44.1 supported,
 * 0.43.1 deprecated until 2099, 0.41.3 expired in 2020 (plugin API 3.11.0).
 */
export const TEST_CATALOGUE = `apiVersion: falco-airgap/v1alpha1
kind: FalcoVersions
versions:
  - version: 0.44.1
    classification: supported
    libsVersion: 0.25.4
    pluginApiVersion: 3.12.0
    engineVersion: 0.62.0
    rules: { falco-rules: 5.1.0, falco-incubating-rules: 5.0.1, falco-sandbox-rules: 5.0.1 }
  - version: 0.43.1
    classification: deprecated
    expirationDate: 2099-12-31
    libsVersion: 0.23.2
    pluginApiVersion: 3.12.0
    engineVersion: 0.58.0
    rules: { falco-rules: 5.0.0 }
  - version: 0.41.3
    classification: deprecated
    expirationDate: 2020-01-01
    libsVersion: 0.21.0
    pluginApiVersion: 3.11.0
    engineVersion: 0.50.0
    rules: { falco-rules: 4.0.0 }
`;
