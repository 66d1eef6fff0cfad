import Database from 'better-sqlite3';
import pg from 'pg';

/**
 * Every SQL statement the store sends, counted and timed, by wrapping the two drivers'
 * entry points for the length of a trace: better-sqlite3's `prepare` (its cost counted apart)
 * and its statements' `all`, `run` and `get`, and pg's
 * `Client.query`. Costs two clock reads a statement; the store's code is untouched. SQLite's
 * times are the statement's own (the driver is synchronous); PostgreSQL's run from the call
 * to its answer, so statements sent side by side count their waits twice.
 */
export interface StatementStats { readonly sql: string; readonly calls: number; readonly ms: number; readonly rows: number }

export interface SqlTraceReport {
  readonly statements: number;
  /** Rows the statements returned. */
  readonly rows: number;
  /** SQLite only: statements compiled (the store keeps them compiled, so few after a warm-up). */
  readonly prepares: number;
  readonly prepareMs: number;
  /** By statement text (its first 100 characters), most time first. */
  readonly byStatement: readonly StatementStats[];
}

type Fn = (...args: unknown[]) => unknown;

export function traceSql(): { stop(): SqlTraceReport } {
  const stats = new Map<string, { calls: number; ms: number; rows: number }>();
  let prepares = 0;
  let prepareMs = 0;
  const tally = (sql: string, ms: number, result: unknown) => {
    const key = sql.replace(/\s+/g, ' ').slice(0, 100);
    const s = stats.get(key) ?? { calls: 0, ms: 0, rows: 0 };
    s.calls++;
    s.ms += ms;
    const rows = Array.isArray(result) ? result : (result as { rows?: unknown } | undefined)?.rows;
    s.rows += Array.isArray(rows) ? rows.length : 0;
    stats.set(key, s);
  };
  // Statements are counted where they run (better-sqlite3's Statement methods, by their
  // text) and compiles where they happen, since the store keeps compiled statements.
  const sqlite = Database.prototype as unknown as { prepare: Fn };
  const prepare = sqlite.prepare;
  const probe = new Database(':memory:');
  const statementProto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<'all' | 'run' | 'get', Fn>;
  probe.close();
  const methods = { all: statementProto.all, run: statementProto.run, get: statementProto.get };
  sqlite.prepare = function (this: unknown, ...args: unknown[]) {
    const t = performance.now();
    const statement = prepare.apply(this, args);
    prepareMs += performance.now() - t;
    prepares++;
    return statement;
  };
  for (const method of ['all', 'run', 'get'] as const) {
    const inner = methods[method];
    statementProto[method] = function (this: { source: string }, ...a: unknown[]) {
      const start = performance.now();
      const result = inner.apply(this, a);
      tally(this.source, performance.now() - start, method === 'run' ? undefined : result === undefined ? [] : method === 'get' ? [result] : result);
      return result;
    };
  }
  const client = pg.Client.prototype as unknown as { query: Fn };
  const query = client.query;
  client.query = function (this: unknown, ...args: unknown[]) {
    const start = performance.now();
    const result = query.apply(this, args);
    const sql = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string } | undefined)?.text ?? '?');
    if (!(result instanceof Promise)) return result;
    return result.then((answer: unknown) => {
      tally(sql, performance.now() - start, answer);
      return answer;
    });
  };
  return {
    stop() {
      sqlite.prepare = prepare;
      Object.assign(statementProto, methods);
      client.query = query;
      const byStatement = [...stats].map(([sql, s]) => ({ sql, calls: s.calls, ms: s.ms, rows: s.rows })).sort((a, b) => b.ms - a.ms);
      const sum = (f: (s: StatementStats) => number) => byStatement.reduce((a, s) => a + f(s), 0);
      return { statements: sum((s) => s.calls), rows: sum((s) => s.rows), prepares, prepareMs, byStatement };
    },
  };
}

/** The costliest statements, per unit of work (a job, a page): `N× M ms sql...`. */
export function describeSql(r: SqlTraceReport, per: number, top = 6): string {
  const head = `${Math.round((10 * r.statements) / per) / 10} statements, ${Math.round(r.rows / per)} rows${r.prepares > 0 ? ` (${(Math.round((100 * r.prepares) / per) / 100)} compiled: ${(r.prepareMs / per).toFixed(2)} ms)` : ''}`;
  const rows = r.byStatement.slice(0, top).map((s) => `${(s.calls / per).toFixed(2)}× ${(s.ms / per).toFixed(2)} ms \`${s.sql}\``);
  return `${head}; costliest: ${rows.join('; ')}`;
}
