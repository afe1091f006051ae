/** `gitops-k8s import`: read, plan, write, then prove the written repo renders the input's Applications. */
import path from 'node:path';
import { planRepo } from './plan-repo.js';
import { readSources, type ReadOptions } from './read-sources.js';
import { verifyImport, type Verification } from './verify-import.js';
import { writeRepo } from './write-repo.js';

export interface ImportOptions extends ReadOptions {
  out: string;
  force?: boolean;
  adoptDefaults?: boolean;
  accept?: string[];
}

export interface ImportResult {
  report: string;
  verification: Verification;
}

function show(value: unknown): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

export async function runImport(sources: readonly string[], options: ImportOptions): Promise<ImportResult> {
  const input = await readSources(sources, options);
  const plan = planRepo(input, { adoptDefaults: options.adoptDefaults });
  const out = path.resolve(options.cwd, options.out);
  writeRepo(out, plan.files, { force: options.force, label: options.out });
  const verification = verifyImport(out, input.applications, {
    adoptDefaults: options.adoptDefaults,
    accept: options.accept,
    namespaceMetadata: plan.namespaceMetadata,
  });
  const lines: string[] = [];
  lines.push(`imported ${input.applications.length} Applications into ${options.out}: ${plan.files.size} files`);
  lines.push('clusters (check the provider of each):');
  for (const c of plan.clusters) lines.push(`  clusters/${c.name}.yaml: ${c.server ?? `name ${c.destinationName}`}: ${c.guess}`);
  if (plan.fullApplications.length > 0) {
    lines.push('full Application files (the short format cannot say it):');
    for (const f of plan.fullApplications) lines.push(`  ${f.file}: ${f.reasons.join('; ')}`);
  }
  if (plan.withoutFinalizer.length > 0) {
    lines.push(
      options.adoptDefaults
        ? 'without the resources finalizer before, with it now (deleting them will delete their resources; finalizer: false opts out): ' +
            plan.withoutFinalizer.join(', ')
        : 'without the resources finalizer, kept so (finalizer: false; remove it to let deleting an app delete its resources): ' +
            plan.withoutFinalizer.join(', '),
    );
  }
  if (plan.notes.length > 0) {
    lines.push('converted, dropped or guessed:');
    for (const n of plan.notes) lines.push(`  ${n}`);
  }
  for (const [what, n] of verification.expected) lines.push(`expected: ${what} on ${n} Applications`);
  for (const d of verification.accepted) lines.push(`accepted: ${d.application}: ${d.path}`);
  for (const d of verification.differences) {
    lines.push(
      d.path === 'missing' || d.path === 'extra'
        ? `difference: ${d.application}: ${d.path === 'missing' ? 'not generated' : 'generated, not in the input'} (${d.path})`
        : `difference: ${d.application}: ${d.path}: input ${show(d.input)}, generated ${show(d.generated)}`,
    );
  }
  lines.push(
    verification.differences.length === 0
      ? `verified: the ${verification.compared} generated Applications are the input's`
      : `${verification.differences.length} differences; fix the files, or accept them with --accept <field path|missing|extra>`,
  );
  return { report: `${lines.join('\n')}\n`, verification };
}
