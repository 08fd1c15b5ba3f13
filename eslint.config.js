import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'data/**', 'node_modules/**', 'coverage/**', 'bench/out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // The core stays framework-free: no HTTP framework, no vendor SDK.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['fastify', '@fastify/*', '@slack/*', 'ws', 'kysely', 'better-sqlite3'] }],
    },
  },
  {
    // The server runs on Node 20, whose V8 promotes every copy made as `{ ...base, more }` at the
    // next young-generation collection: see src/domain/with-fields.ts. Tests and the browser code
    // (another engine, short-lived pages) are free to spread.
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', 'src/**/*.contract.ts', 'src/domain/with-fields.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: 'ObjectExpression > SpreadElement:first-child:not(:last-child)',
        message: 'A copy that starts with a spread and goes on is promoted by V8 11 wherever it goes: use withFields() or Object.assign(), or put a field first.',
      }],
    },
  },
  {
    files: ['bin/**', 'scripts/**', 'src/cli/**', 'test/**', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
);
