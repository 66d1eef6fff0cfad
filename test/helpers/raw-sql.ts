import Database from 'better-sqlite3';
import pg from 'pg';

/** Reads or writes behind the store's back, as a newer Sluice or a person would. */
export async function raw(url: string, statement: string): Promise<unknown[]> {
  if (url.startsWith('sqlite:')) {
    const db = new Database(url.slice('sqlite:'.length));
    try {
      const stmt = db.prepare(statement);
      return stmt.reader ? stmt.all() : (stmt.run(), []);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(statement)).rows;
  } finally {
    await client.end();
  }
}
