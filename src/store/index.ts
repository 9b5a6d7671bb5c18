/**
 * The result store: one row per checked input, shared by `romscope batch`
 * (src/batch/) and the queue worker. Two back ends with the same table
 * (docs/batch.md#the-result-store): an embedded SQLite file (default) and
 * PostgreSQL for a store several machines share.
 */

export interface ResultRow {
  /** The input as given: absolute path, or the URL for queue jobs. */
  path: string;
  /** Bytes. */
  size: number;
  /** Null for URLs. */
  mtimeMs: number | null;
  /** Lower-case hex of the whole input. */
  sha256: string;
  /** The report's verdict words (`summary.compatibility.verdict`, `summary.integrity.status`, `summary.signature.status`). */
  compatibility: string;
  integrity: string;
  signature: string;
  errors: number;
  warnings: number;
  infos: number;
  /** What `romscope check` exits with for this input. */
  exitCode: number;
  /** The JSON report text. */
  report: string;
  /** ISO 8601. */
  checkedAt: string;
  romscopeVersion: string;
}

export interface ResultStore {
  get(path: string): Promise<ResultRow | null>;
  getBySha256(sha256: string): Promise<ResultRow | null>;
  /** Insert or replace the row for row.path, atomically (one transaction). */
  put(row: ResultRow): Promise<void>;
  /** Insert only if no row with this sha256 exists; true when inserted (idempotency for queue jobs, atomic against concurrent workers). */
  putIfNewSha256(row: ResultRow): Promise<boolean>;
  count(): Promise<number>;
  /** Every row, ordered by path (for summaries; tests use it). */
  list(): Promise<ResultRow[]>;
  close(): Promise<void>;
}

/** True for a PostgreSQL connection string. */
export function isPostgresSpec(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

/** 'postgres://' or 'postgresql://' -> PostgreSQL (package `pg`); anything else is a SQLite file path (created if missing). */
export async function openStore(spec: string): Promise<ResultStore> {
  if (isPostgresSpec(spec)) {
    const { openPostgresStore } = await import('./postgres');
    return openPostgresStore(spec);
  }
  const { openSqliteStore } = await import('./sqlite');
  return openSqliteStore(spec);
}

/** The table both back ends create (column names in snake_case; docs/batch.md lists them). */
export const TABLE = 'romscope_results';

/** A row's fields checked before it is written: a bad row is a programming error, refused before the transaction. */
export function checkRow(row: ResultRow): void {
  if (typeof row.path !== 'string' || row.path === '') throw new TypeError('result row: path must be a non-empty string');
  if (!/^[0-9a-f]{64}$/.test(row.sha256)) throw new TypeError(`result row ${row.path}: sha256 must be 64 lower-case hex digits`);
  for (const k of ['size', 'errors', 'warnings', 'infos', 'exitCode'] as const) {
    if (!Number.isSafeInteger(row[k]) || row[k] < 0) throw new TypeError(`result row ${row.path}: ${k} must be a whole number of 0 or more`);
  }
  if (row.mtimeMs !== null && !Number.isFinite(row.mtimeMs)) throw new TypeError(`result row ${row.path}: mtimeMs must be a number or null`);
}
