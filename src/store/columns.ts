/**
 * The result table's columns as both stores write and read them: the row's
 * fields in snake_case, in one order. PostgreSQL hands BIGINT and DOUBLE
 * columns back as strings (pg keeps 64-bit values exact), so numbers are read
 * with Number(); every size we store is a safe integer.
 */
import type { ResultRow } from './index';

/** A row as the database holds it. */
export interface RawRow {
  path: string;
  size: number | string;
  mtime_ms: number | string | null;
  sha256: string;
  compatibility: string;
  integrity: string;
  signature: string;
  errors: number;
  warnings: number;
  infos: number;
  exit_code: number;
  report: string;
  checked_at: string;
  romscope_version: string;
}

/** The column names, in the order `toRaw` gives them. */
export const COLUMN_NAMES = ['path', 'size', 'mtime_ms', 'sha256', 'compatibility', 'integrity', 'signature', 'errors', 'warnings', 'infos', 'exit_code', 'report', 'checked_at', 'romscope_version'] as const;
export const COLUMNS = COLUMN_NAMES.join(', ');

export function toRaw(r: ResultRow): RawRow {
  return {
    path: r.path,
    size: r.size,
    mtime_ms: r.mtimeMs,
    sha256: r.sha256,
    compatibility: r.compatibility,
    integrity: r.integrity,
    signature: r.signature,
    errors: r.errors,
    warnings: r.warnings,
    infos: r.infos,
    exit_code: r.exitCode,
    report: r.report,
    checked_at: r.checkedAt,
    romscope_version: r.romscopeVersion,
  };
}

export function fromRaw(r: RawRow): ResultRow {
  return {
    path: r.path,
    size: Number(r.size),
    mtimeMs: r.mtime_ms === null ? null : Number(r.mtime_ms),
    sha256: r.sha256,
    compatibility: r.compatibility,
    integrity: r.integrity,
    signature: r.signature,
    errors: Number(r.errors),
    warnings: Number(r.warnings),
    infos: Number(r.infos),
    exitCode: Number(r.exit_code),
    report: r.report,
    checkedAt: r.checked_at,
    romscopeVersion: r.romscope_version,
  };
}
