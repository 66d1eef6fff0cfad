import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The dependency direction is one way: cli, web -> pipelines -> drivers, engine -> store
// -> core (docs/architecture.md draws it; test/architecture/imports.test.ts checks every
// folder). core and store must not reach up; the engine never imports a driver or a
// pipeline (registries map names to them).
// In flat config a later no-restricted-imports block replaces an earlier one for the same
// file: each folder has exactly one block below.
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
// The simulation is a leaf: only `sluice simulate` (src/cli/simulate.ts), bench/ and test/ use it.
const notSim = { group: ['**/sim/**'], message: 'only src/cli/simulate.ts, bench/ and test/ import src/sim' };

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
    rules: restrict(
      { group: ['node:*', 'fs', 'child_process', 'net', 'http', 'os'], message: 'core is pure: no I/O' },
      { group: ['kysely', 'pg', 'better-sqlite3', 'ssh2', 'fastify', 'fastify/*', '@fastify/*', 'commander', 'pino', 'prom-client'], message: 'core is pure: no database, network, web or CLI library' },
      { group: ['**/store/**', '**/engine/**', '**/drivers/**', '**/cli/**', '**/web/**', '**/pipelines/**', '**/sim/**'], message: 'core depends on nothing of ours' },
    ),
  },
  {
    // Migrations are frozen in time, so they (and the adapter serving them) take Kysely<any>.
    files: ['src/store/migrations/**/*.ts', 'src/store/migrate.ts', 'src/store/adapter.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/store/**/*.ts'],
    rules: restrict({ group: ['**/engine/**', '**/drivers/**', '**/cli/**', '**/web/**', '**/pipelines/**'], message: 'store sits below the engine' }, notSim),
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: restrict({ group: ['**/drivers/**', '**/cli/**', '**/web/**', '**/pipelines/**'], message: 'the engine never imports a driver, a pipeline or a front end' }, notSim),
  },
  {
    // Drivers implement the engine's interfaces; they never reach up into a pipeline or a front end.
    files: ['src/drivers/**/*.ts'],
    rules: restrict({ group: ['**/cli/**', '**/web/**', '**/pipelines/**'], message: 'a driver imports core, the engine\'s interfaces and store types only' }, notSim),
  },
  {
    files: ['src/analysis/**/*.ts', 'src/web/**/*.ts', 'src/cli/**/*.ts', 'src/pipelines/**/*.ts'],
    ignores: ['src/cli/simulate.ts', 'src/pipelines/*/plan.ts'],
    rules: restrict(notSim),
  },
  {
    // Simulated nodes stand in for the drivers: the real core, engine, store and pipelines' planners, nothing else.
    files: ['src/sim/**/*.ts'],
    rules: restrict({ group: ['**/drivers/**', '**/cli/**', '**/web/**'], message: 'the simulation runs core, engine and store on its own simulated nodes: no driver, no front end' }),
  },
);
