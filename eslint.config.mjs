// ESLint flat config: typescript-eslint's recommended rules with type information
// (`npm run lint`; about half a minute of CPU on the whole tree, most of it the
// type checker). Formatting is Prettier's business, not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeGlobals = { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' };

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test()/describe() return promises the runner awaits itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      // `_name` marks a binding that is there on purpose (a destructured field left out, a callback's unused argument).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
      // The house style writes `cond && act()`, `c ? a() : b()` and `(check(), (x = y))` as statements.
      '@typescript-eslint/no-unused-expressions': 'off',
      // Binary formats are matched byte by byte: NUL and other control characters in a regex are the point.
      'no-control-regex': 'off',
      // Async methods that implement an async interface (Source.read, stream generators) need not await.
      '@typescript-eslint/require-await': 'off',
      // Messages interpolate caught errors and parsed values on purpose (`${e}` is the message).
      '@typescript-eslint/restrict-template-expressions': 'off',
      // Values of `unknown` info records are narrowed at run time (typeof checks) in ways the checker does not follow.
      '@typescript-eslint/no-base-to-string': 'off',
      // Interfaces declare callbacks in method syntax (`release(): Promise<void>`); the objects behind them are arrow functions.
      '@typescript-eslint/unbound-method': 'off',
      // Chunk kinds live in typed arrays (plain numbers) and are compared with const enum members.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
    },
  },
  {
    // Tests, fixtures and benchmarks pick reports and tool output apart as parsed JSON (`any`).
    files: ['test/**', 'fixtures/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain CommonJS (the bin stub) and this config: no type information, Node's globals.
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: nodeGlobals },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
);
