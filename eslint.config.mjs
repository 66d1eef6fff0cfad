import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The dependency direction is one way: cli, web -> engine -> core. core and store
// must not reach up; the engine never imports a driver (a registry maps names to drivers).
const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
// The simulation is a leaf: only `sluice simulate` (src/cli/simulate.ts), bench/ and test/
// use it. Any later restrict() of these folders must keep this pattern (rules replace).
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
    files: ['src/core/**/*.ts'],
    rules: restrict([
      { group: ['node:*', 'fs', 'child_process', 'net', 'http', 'os'], message: 'core is pure: no I/O' },
      { group: ['**/store/**', '**/engine/**', '**/drivers/**', '**/cli/**', '**/web/**', '**/sim/**'], message: 'core depends on nothing of ours' },
    ]),
  },
  {
    // Migrations are frozen in time, so they (and the adapter serving them) take Kysely<any>.
    files: ['src/store/migrations/**/*.ts', 'src/store/migrate.ts', 'src/store/adapter.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/store/**/*.ts'],
    rules: restrict([{ group: ['**/engine/**', '**/drivers/**', '**/cli/**', '**/web/**'], message: 'store sits below the engine' }, notSim]),
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: restrict([{ group: ['**/drivers/**', '**/cli/**', '**/web/**'], message: 'the engine never imports a driver or a front end' }, notSim]),
  },
  {
    files: ['src/analysis/**/*.ts', 'src/checks/**/*.ts', 'src/drivers/**/*.ts', 'src/web/**/*.ts', 'src/cli/**/*.ts'],
    ignores: ['src/cli/simulate.ts'],
    rules: restrict([notSim]),
  },
  {
    // Simulated nodes stand in for the drivers: the real core, engine and store, nothing else.
    files: ['src/sim/**/*.ts'],
    rules: restrict([{ group: ['**/drivers/**', '**/cli/**', '**/web/**'], message: 'the simulation runs core, engine and store on its own simulated nodes: no driver, no front end' }]),
  },
);
