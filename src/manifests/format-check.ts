/**
 * `check`'s report for people (one line per finding, then the namespace.yaml
 * entries that would permit what the AppProjects refuse) and for machines.
 */
import { emitYaml } from '../core/yaml/emit-yaml.js';
import type { CheckReport } from './check-manifests.js';

export interface CheckSummary {
  applications: number;
  clusters: number;
  resources: number;
  renders: { runs: number; shared: number };
}

export function formatCheckText(report: CheckReport, summary: CheckSummary): string {
  const lines: string[] = [];
  for (const f of report.findings) lines.push(`${f.file}: on ${f.cluster}: ${f.resource}: ${f.message} [${f.check}]`);
  for (const s of report.suggestions) {
    lines.push('', `To permit these kinds, add to ${s.file}:`);
    lines.push(
      ...emitYaml({ project: { [s.field]: s.entries } })
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  }
  if (report.notes.length > 0) lines.push('', ...report.notes.map((n) => `note: ${n}`));
  const renders = `${summary.renders.runs} renders, ${summary.renders.shared} shared`;
  const what = `${summary.resources} resources of ${summary.applications} Applications on ${summary.clusters} clusters (${renders})`;
  const problems = `${report.findings.length} problem${report.findings.length === 1 ? '' : 's'}`;
  lines.push('', report.findings.length === 0 ? `ok: ${what}` : `${problems} in ${what}`);
  return `${lines.join('\n').replace(/^\n/, '')}\n`;
}

export function formatCheckJson(report: CheckReport, summary: CheckSummary): string {
  const json = { ok: report.findings.length === 0, ...summary, findings: report.findings, suggestions: report.suggestions, notes: report.notes };
  return `${JSON.stringify(json, null, 2)}\n`;
}
