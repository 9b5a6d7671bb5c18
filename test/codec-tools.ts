/** Fixtures for the xz, zstd and bzip2 tests, made by the reference tools at test time. */
import { hasTool, runTool } from './helpers';

/** `tool args` over `data` on stdin: its stdout. */
export function squeeze(tool: string, args: string[], data: Buffer): Buffer {
  return runTool(tool, args, { input: data }).stdout;
}

/**
 * For a rule case's `skip`: the reason when a tool is missing (a visible
 * skip), or throws under CI=true, where the tools must be installed.
 */
export function missingTools(...cmds: string[]): () => string | false {
  return () => {
    const missing = cmds.filter((c) => !hasTool(c));
    if (!missing.length) return false;
    const msg = `reference tool(s) not installed: ${missing.join(', ')}`;
    if (process.env.CI === 'true') throw new Error(`${msg} (CI must install them: see .ci/run)`);
    return msg;
  };
}

/** A copy of `b` with the byte at `at` (negative: from the end) xor-ed with `mask`. */
export function flipped(b: Buffer, at: number, mask = 0x01): Buffer {
  const c = Buffer.from(b);
  c[at < 0 ? c.length + at : at] ^= mask;
  return c;
}

/** Offset of a single-block xz stream's block check field (just before its index). */
export function xzCheckOffset(xz: Buffer): { at: number; size: number } {
  const size = { 0: 0, 1: 4, 4: 8, 10: 32 }[xz[7] & 0x0f] ?? 0;
  const backward = (xz.readUInt32LE(xz.length - 8) + 1) * 4;
  return { at: xz.length - 12 - backward - size, size };
}
