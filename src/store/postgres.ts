/**
 * The PostgreSQL result store (package `pg`): the SQLite store's table in a
 * server several batch runs or queue workers share. Each write is one
 * transaction. `putIfNewSha256` is atomic against concurrent writers: it takes
 * a transaction-scoped advisory lock on the digest (pg_advisory_xact_lock),
 * which `put` takes too, then looks for the digest and writes. A unique index
 * on sha256 is not used because two paths may hold the same bytes.
 */
import { Pool, type PoolClient } from 'pg';
import { checkRow, TABLE, type ResultRow, type ResultStore } from './index';
import { COLUMN_NAMES, COLUMNS, fromRaw, toRaw, type RawRow } from './columns';

const UPSERT = `INSERT INTO ${TABLE} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
  ON CONFLICT (path) DO UPDATE SET size = EXCLUDED.size, mtime_ms = EXCLUDED.mtime_ms, sha256 = EXCLUDED.sha256, compatibility = EXCLUDED.compatibility,
  integrity = EXCLUDED.integrity, signature = EXCLUDED.signature, errors = EXCLUDED.errors, warnings = EXCLUDED.warnings, infos = EXCLUDED.infos,
  exit_code = EXCLUDED.exit_code, report = EXCLUDED.report, checked_at = EXCLUDED.checked_at, romscope_version = EXCLUDED.romscope_version`;

/** The lock both writes take on a digest: the first 63 bits of it as a bigint key. */
const LOCK = `SELECT pg_advisory_xact_lock(('x' || substr($1, 1, 16))::bit(64)::bigint)`;

function params(r: ResultRow): unknown[] {
  const raw = toRaw(r);
  return COLUMN_NAMES.map((c) => raw[c]);
}

async function inTransaction<T>(pool: Pool, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
}

export async function openPostgresStore(url: string): Promise<ResultStore> {
  const pool = new Pool({ connectionString: url, max: 4 });
  // An idle client's error (the server went away) must not kill the process: the next query fails instead.
  pool.on('error', () => undefined);
  try {
    // Two processes opening a new database at once: the advisory lock makes the CREATEs run one after the other.
    await inTransaction(pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(7372016020)');
      await c.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (
        path TEXT PRIMARY KEY NOT NULL,
        size BIGINT NOT NULL,
        mtime_ms DOUBLE PRECISION,
        sha256 TEXT NOT NULL,
        compatibility TEXT NOT NULL,
        integrity TEXT NOT NULL,
        signature TEXT NOT NULL,
        errors INTEGER NOT NULL,
        warnings INTEGER NOT NULL,
        infos INTEGER NOT NULL,
        exit_code INTEGER NOT NULL,
        report TEXT NOT NULL,
        checked_at TEXT NOT NULL,
        romscope_version TEXT NOT NULL
      )`);
      await c.query(`CREATE INDEX IF NOT EXISTS ${TABLE}_sha256 ON ${TABLE} (sha256)`);
    });
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }
  let closed = false;
  const live = (): void => {
    if (closed) throw new Error('result store: used after close()');
  };
  const one = async (sql: string, args: unknown[]): Promise<ResultRow | null> => {
    live();
    const r = await pool.query<RawRow>(sql, args);
    return r.rows.length ? fromRaw(r.rows[0]) : null;
  };
  return {
    get: (p) => one(`SELECT ${COLUMNS} FROM ${TABLE} WHERE path = $1`, [p]),
    getBySha256: (s) => one(`SELECT ${COLUMNS} FROM ${TABLE} WHERE sha256 = $1 ORDER BY checked_at, path LIMIT 1`, [s]),
    put: async (row) => {
      live();
      checkRow(row);
      await inTransaction(pool, async (c) => {
        await c.query(LOCK, [row.sha256]);
        await c.query(UPSERT, params(row));
      });
    },
    putIfNewSha256: async (row) => {
      live();
      checkRow(row);
      return inTransaction(pool, async (c) => {
        await c.query(LOCK, [row.sha256]);
        const seen = await c.query(`SELECT 1 FROM ${TABLE} WHERE sha256 = $1 LIMIT 1`, [row.sha256]);
        if (seen.rows.length) return false;
        await c.query(UPSERT, params(row));
        return true;
      });
    },
    count: async () => {
      live();
      const r = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${TABLE}`);
      return Number(r.rows[0].n);
    },
    list: async () => {
      live();
      const r = await pool.query<RawRow>(`SELECT ${COLUMNS} FROM ${TABLE} ORDER BY path`);
      return r.rows.map(fromRaw);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
