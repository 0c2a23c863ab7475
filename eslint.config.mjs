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
      // Passing on a caught error (`.catch((error: unknown) => … Promise.reject(error))`) is a rethrow, which
      // only-throw-error allows too; a new rejection must still be an Error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'all',
          caughtErrorsIgnorePattern: '^_',
          // `const { omitted, ...rest } = value` is how a property is left out.
          ignoreRestSiblings: true,
        },
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
      // Nor loaded late (require() is refused everywhere by no-require-imports).
      'no-restricted-syntax': ['error', { selector: 'ImportExpression', message: "Workflows load nothing at run time: no import() in Temporal's sandbox." }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // jest's asymmetric matchers are typed `any` (`expect.any(String)`, `expect.stringContaining(…)`), and placing
      // them in an expected object or passing one to toThrow is what a test does; other unsafe uses are still reported.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    files: ['test/browser/**/*.ts'],
    rules: {
      // The callbacks given to page.evaluate/$eval run in Chromium; the tsconfig has no DOM lib (the program is
      // Node's), so their elements are unresolved types and every use of them would be reported as unsafe.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
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
