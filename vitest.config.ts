import { defineConfig } from 'vitest/config';

// Two tiers: unit tests (pure, in-memory fakes) and integration tests against the testbed.
const sourceCondition = { conditions: ['@falco-airgap/source'] };

export default defineConfig({
  resolve: sourceCondition,
  ssr: { resolve: { conditions: ['@falco-airgap/source'], externalConditions: ['@falco-airgap/source'] } },
  test: {
    reporters: ['default', './tools/build/vitest-summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{packages,apps,tools}/**/src/**/*.test.ts', 'tools/**/*.test.ts'],
          exclude: ['**/*.integ.test.ts', '**/node_modules/**', '**/dist/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integ',
          include: ['{packages,apps,tools}/**/*.integ.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          globalSetup: ['tools/testbed/vitest-global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
