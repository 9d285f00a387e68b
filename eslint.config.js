import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Which libraries a library may import: apps -> packages -> core, and only the sideways edges the architecture names.
const LIBRARY_EDGES = {
  'lib:manifest': [],
  'lib:oci': [],
  'lib:container-engine': [],
  'lib:fleet-identity': [],
  'lib:helm-values-schema': ['lib:manifest'],
  'lib:s3-plugin-store': ['lib:manifest'],
  'lib:plugin-extractor': ['lib:manifest', 'lib:oci', 'lib:container-engine'],
  'lib:image-builder': ['lib:manifest', 'lib:oci', 'lib:container-engine'],
  'lib:bundle': ['lib:manifest', 'lib:oci', 'lib:container-engine'],
  'lib:eks-deployer': ['lib:manifest', 'lib:helm-values-schema'],
};

/** Production code: the architecture's edges. Tests may also use the test-support projects. */
export function boundaryConstraints({ tests }) {
  const testing = tests ? ['type:test'] : [];
  return [
    { sourceTag: 'scope:core', onlyDependOnLibsWithTags: [...testing] },
    ...Object.entries(LIBRARY_EDGES).map(([tag, edges]) => ({ sourceTag: tag, onlyDependOnLibsWithTags: ['scope:core', ...edges, ...testing] })),
    { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['scope:core', 'type:lib', ...testing] },
    { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['scope:core', 'type:lib', 'type:test'] },
  ];
}

const TEST_FILES = ['**/*.test.ts', '**/*.contract.ts', '**/test-support/**/*.ts', '**/test/**/*.ts', 'tools/**/*.ts', 'bench/**/*.ts'];

const boundaries = (tests) => ({
  '@nx/enforce-module-boundaries': [
    'error',
    {
      enforceBuildableLibDependency: false,
      allow: [],
      // The shared test helpers exercise the store they test; the store's own tests use them.
      ignoredCircularDependencies: [['s3-plugin-store', 'test-support']],
      depConstraints: boundaryConstraints({ tests }),
    },
  ],
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.testbed/**', '.nx/**', '**/schema/**', '**/*.js', '**/*.cjs', '**/*.mjs', '**/tsup.config.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { '@nx': nx },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'off',
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(\\.\\./){3,}', message: 'import another workspace package by its name, not by a path that climbs out of this one' }] },
      ],
      ...boundaries(false),
    },
  },
  { files: TEST_FILES, rules: boundaries(true) },
);
