import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The dependency direction is one way: cli, web -> engine -> core. core and store
// must not reach up; the engine never imports a driver (a registry maps names to drivers).
const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bin/', '.exp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // A pipeline's planner is core: pure decisions over data, the same rule.
    files: ['src/core/**/*.ts', 'src/pipelines/*/plan.ts'],
    rules: restrict([
      { group: ['node:*', 'fs', 'child_process', 'net', 'http', 'os'], message: 'core is pure: no I/O' },
      { group: ['kysely', 'pg', 'better-sqlite3', 'ssh2', 'fastify', 'fastify/*', '@fastify/*', 'commander', 'pino', 'prom-client'], message: 'core is pure: no database, network, web or CLI library' },
      { group: ['**/store/**', '**/engine/**', '**/drivers/**', '**/cli/**', '**/web/**', '**/pipelines/**'], message: 'core depends on nothing of ours' },
    ]),
  },
  {
    // Migrations are frozen in time, so they (and the adapter serving them) take Kysely<any>.
    files: ['src/store/migrations/**/*.ts', 'src/store/migrate.ts', 'src/store/adapter.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/store/**/*.ts'],
    rules: restrict([{ group: ['**/engine/**', '**/drivers/**', '**/cli/**', '**/web/**', '**/pipelines/**'], message: 'store sits below the engine' }]),
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: restrict([{ group: ['**/drivers/**', '**/cli/**', '**/web/**', '**/pipelines/**'], message: 'the engine never imports a driver, a pipeline or a front end' }]),
  },
  {
    // Drivers implement the engine's interfaces; they never reach up into a pipeline or a front end.
    files: ['src/drivers/**/*.ts'],
    rules: restrict([{ group: ['**/cli/**', '**/web/**', '**/pipelines/**'], message: 'a driver imports core, the engine\'s interfaces and store types only' }]),
  },
);
