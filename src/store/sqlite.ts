/**
 * The SQLite result store (better-sqlite3): one file, WAL journal, one row per
 * input. Every write is one transaction, so a process killed at any point
 * leaves whole rows only. Several processes may share the file: writes take
 * SQLite's write lock at the start of the transaction (BEGIN IMMEDIATE) and
 * wait up to BUSY_TIMEOUT_MS for it.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { checkRow, TABLE, type ResultRow, type ResultStore } from './index';
import { COLUMN_NAMES, COLUMNS, fromRaw, toRaw, type RawRow } from './columns';

/** How long a write waits for another process's write lock before failing (SQLITE_BUSY). */
export const BUSY_TIMEOUT_MS = 30_000;

const VALUES = COLUMN_NAMES.map((c) => '@' + c).join(', ');

export function openSqliteStore(file: string): Promise<ResultStore> {
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL with WAL: a committed row survives a process kill; only a power loss may drop the last commits (never half a row).
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (
      path TEXT PRIMARY KEY NOT NULL,
      size INTEGER NOT NULL,
      mtime_ms REAL,
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
    );
    CREATE INDEX IF NOT EXISTS ${TABLE}_sha256 ON ${TABLE} (sha256);`);
  } catch (e) {
    db.close();
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  const get = db.prepare<[string], RawRow>(`SELECT ${COLUMNS} FROM ${TABLE} WHERE path = ?`);
  const bySha = db.prepare<[string], RawRow>(`SELECT ${COLUMNS} FROM ${TABLE} WHERE sha256 = ? ORDER BY checked_at, path LIMIT 1`);
  const hasSha = db.prepare<[string], { one: number }>(`SELECT 1 AS one FROM ${TABLE} WHERE sha256 = ? LIMIT 1`);
  const upsert = db.prepare<[RawRow]>(`INSERT OR REPLACE INTO ${TABLE} (${COLUMNS}) VALUES (${VALUES})`);
  const count = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${TABLE}`);
  const all = db.prepare<[], RawRow>(`SELECT ${COLUMNS} FROM ${TABLE} ORDER BY path`);
  const put = db.transaction((raw: RawRow) => void upsert.run(raw));
  const putIfNew = db.transaction((raw: RawRow): boolean => {
    if (hasSha.get(raw.sha256)) return false;
    upsert.run(raw);
    return true;
  });
  let closed = false;
  const live = (): void => {
    if (closed) throw new Error('result store: used after close()');
  };
  const store: ResultStore = {
    get: async (p) => (live(), fromRawOrNull(get.get(p))),
    getBySha256: async (s) => (live(), fromRawOrNull(bySha.get(s))),
    put: async (row) => {
      live();
      checkRow(row);
      put.immediate(toRaw(row));
    },
    putIfNewSha256: async (row) => {
      live();
      checkRow(row);
      return putIfNew.immediate(toRaw(row));
    },
    count: async () => (live(), count.get()!.n),
    list: async () => (live(), all.all().map(fromRaw)),
    close: async () => {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
  return Promise.resolve(store);
}

function fromRawOrNull(r: RawRow | undefined): ResultRow | null {
  return r ? fromRaw(r) : null;
}
