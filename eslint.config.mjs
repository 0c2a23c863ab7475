// @ts-check
/**
 * ESLint (flat config), type-aware through typescript-eslint: `npm run lint`, run by `npm test` (issue 17).
 * Formatting is Prettier's alone (.prettierrc.json); the recommended sets here carry no stylistic rule, so
 * eslint-config-prettier is not needed.
 */
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Workflows run in Temporal's deterministic sandbox: at run time they may load only these packages (and relative files). */
const WORKFLOW_PACKAGES = ['@temporalio/workflow', '@temporalio/common'];

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'tools/',
      'data/',
      'coverage/',
      'test-artifacts/',
      // Browser scripts served as they are; no build step, no module system (they belong to the api/ restructuring).
      'api/public/**/*.js',
    ],
  },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // Off: here an async function without `await` implements a Promise-returning contract (Temporal activities,
      // the Directory, MikroORM migrations' up/down, stoppers, express handlers). `async` is what turns a throw into a
      // rejection; dropping it to please the rule would make those throw synchronously, a change of behaviour.
      '@typescript-eslint/require-await': 'off',
      // Off: the protocol parsers (RTSP, SDP) and the file-name and header sanitizers match control characters on purpose.
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'all', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      // Belt and braces beside test/unit/layers.test.ts: no Node built-in, no driver, no SDK package but the
      // workflow API may be loaded in the sandbox. Type-only imports are erased and stay allowed.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(?!\\.|(${WORKFLOW_PACKAGES.join('|')})$)`,
              allowTypeImports: true,
              message: `Workflows run in Temporal's deterministic sandbox: only ${WORKFLOW_PACKAGES.join(', ')} and relative files may be loaded.`,
            },
          ],
        },
      ],
    },
  },
  {
    // Plain JavaScript (this file, jest.config.js): CommonJS/ESM config for Node, no type information.
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { require: 'readonly', module: 'writable', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
