/** The JSON report (docs/report-format.md, schemaVersion 1). A pure function of the report. */
import type { Artifact, Report } from './model';

function publicArtifact(a: Artifact): unknown {
  return { path: a.path, name: a.name, format: a.format, size: a.size, hashes: a.hashes, info: a.info, children: a.children.map(publicArtifact) };
}

export function renderJson(r: Report): string {
  return JSON.stringify(
    { schemaVersion: r.schemaVersion, tool: r.tool, input: r.input, summary: r.summary, findings: r.findings, root: publicArtifact(r.root) },
    (_k, v: unknown) => (v === undefined ? undefined : typeof v === 'bigint' ? v.toString() : v),
    2,
  );
}
