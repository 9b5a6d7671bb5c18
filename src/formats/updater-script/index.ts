/**
 * Edify updater scripts (`META-INF/com/google/android/updater-script`,
 * FORMATS.md §11.2): recovery's updater runs them to install a non-A/B OTA.
 * The script is parsed (./edify.ts) and its guards read (./asserts.ts): the
 * device, bootloader, baseband and fingerprint asserts become declaration
 * facts with their line, an AssertOlderBuild the package's enforced build
 * timestamp. A script that does not parse would stop recovery's updater too:
 * it is `unreadable`, and the checks before the error are kept. So is a
 * script with CRLF line ends, a byte order mark or UTF-16 text: recovery's
 * lexer takes a carriage return for a bad character; romscope reads it anyway.
 */
import type { DocumentHandler } from '../types';
import { baseName, decodeText, looksLikeText } from '../text';
import { EdifyError, parseEdify } from './edify';
import { collectChecks, type ScriptChecks } from './asserts';
import { buildFact, declaration } from '../../compat/declarations';

/** Full OTAs of old devices list every file; the largest real scripts are a few MiB. */
const MAX_BYTES = 16 * 1024 * 1024;

export const updaterScriptHandler: DocumentHandler = {
  id: 'updater-script',
  kind: 'document',
  traits: { role: 'update', confidence: 'name' },
  description: 'Edify updater script of a recovery OTA (META-INF/com/google/android/updater-script)',
  maxBytes: MAX_BYTES,
  detect: ({ peek, name }) => baseName(name) === 'updater-script' && (peek.length === 0 || looksLikeText(peek)),
  decode(bytes, ctx) {
    const { text, encoding, bom } = decodeText(bytes);
    // AOSP's edify lexer knows only [ \t\n] as white space and reads bytes: a carriage
    // return, a byte order mark or UTF-16 is a BAD token there ("syntax error").
    // romscope still reads such a script, to show what it checks.
    const cr = text.indexOf('\r');
    const why =
      encoding !== 'utf-8'
        ? { line: 1, what: `the script is ${encoding.toUpperCase()} text` }
        : bom
          ? { line: 1, what: 'the script starts with a UTF-8 byte order mark' }
          : cr >= 0
            ? { line: text.slice(0, cr).split('\n').length, what: 'the script has Windows (CRLF) line ends' }
            : null;
    if (why) {
      ctx.fact({
        kind: 'unreadable',
        message: `line ${why.line}: ${why.what}; recovery's edify parser reads only plain ASCII/UTF-8 with LF line ends and stops with a syntax error. Its checks are read here as if the text were plain`,
      });
    }
    const checks: ScriptChecks = { guards: [], olderBuild: [] };
    let statements = 0;
    let complete = true;
    try {
      parseEdify(text, (stmt) => {
        statements++;
        collectChecks(stmt, checks);
      });
    } catch (e) {
      if (!(e instanceof EdifyError)) throw e;
      complete = false;
      ctx.fact(
        e.limit
          ? { kind: 'unsupported', message: `line ${e.line}: ${e.message}; device checks after it were not read` }
          : { kind: 'unreadable', message: `line ${e.line}: not valid edify: ${e.message}. Recovery's updater would refuse to run the script; device checks after this line were not read` },
      );
    }
    for (const g of checks.guards) {
      ctx.fact(declaration('updater-script', g.alternatives, { enforced: true, line: g.line, opaqueAlternatives: g.opaque }));
    }
    for (const o of checks.olderBuild) ctx.fact(buildFact('updater-script', 'timestamp', 'AssertOlderBuild', o.timestamp, { line: o.line, enforced: true }));
    return {
      statements,
      assertions: checks.guards.length + checks.olderBuild.length,
      ...(complete ? {} : { complete: false }),
      ...(encoding === 'utf-8' ? {} : { encoding }),
    };
  },
};
