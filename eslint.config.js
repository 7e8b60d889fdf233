// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The layers, lowest first: a folder may import its own files and the folders below it,
 * never one above (so no two top-level folders import each other). Tests may use the test
 * support in scripts/testing, which starts the database and broker they need.
 */
const LAYERS = [
  ['lib', []],
  ['sut', ['lib']],
  ['simulator', ['lib', 'sut']],
  ['results', ['lib', 'sut']],
  ['scenarios', ['lib', 'sut', 'simulator', 'results']],
];
const TOP_LEVEL = ['lib', 'sut', 'simulator', 'results', 'scenarios', 'scripts', 'bin'];
const layering = LAYERS.map(([folder, below]) => ({
  files: [`${folder}/**/*.ts`],
  ignores: ['**/*.test.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: TOP_LEVEL.filter((f) => f !== folder && !below.includes(f)).map((f) => ({
          regex: `^(\\.\\./)+${f}/`,
          message: `${folder}/ stands below ${f}/ and may import only ${below.length > 0 ? below.map((b) => `${b}/`).join(', ') : 'its own files'} (eslint.config.js, LAYERS)`,
        })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'results/runs/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  ...layering,
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
);
