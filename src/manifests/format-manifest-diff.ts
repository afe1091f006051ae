/**
 * A manifest diff as text (terminals) or markdown (pull-request comments,
 * one folded `<details>` per Application). Secret values are not in the diff
 * to begin with; a secret field change says only what happened to its key.
 */
import type { ChangeKind } from '../core/diff/diff-platforms.js';
import { fenceCode } from '../core/diff/fence-code.js';
import { escapeHtml } from '../integrations/status/escape-html.js';
import type { AppManifestDiff, ManifestDiff, ManifestFieldChange } from './diff-manifests.js';

const SIGN: Record<ChangeKind, string> = { added: '+', removed: '-', changed: '~' };
/** Longest value shown in a field change before it is cut. */
const MAX_VALUE = 300;
/** Most field changes listed per resource. */
const MAX_FIELDS = 100;

function showValue(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}… (${text.length} characters)` : text;
}

function fieldLine(f: ManifestFieldChange): string {
  if (f.secret) return `${SIGN[f.change]} ${f.path}: (secret value ${f.change}, not shown)`;
  if (f.change === 'added') return `+ ${f.path}: ${showValue(f.after)}`;
  if (f.change === 'removed') return `- ${f.path}: ${showValue(f.before)}`;
  return `~ ${f.path}: ${showValue(f.before)} -> ${showValue(f.after)}`;
}

/** The lines of one Application: its resources, each changed one with its fields. */
function appLines(app: AppManifestDiff, indent: string): string[] {
  if (app.resources.length === 0) return [`${indent}no resource changes`];
  const lines: string[] = [];
  for (const r of app.resources) {
    lines.push(`${indent}${SIGN[r.change]} ${r.resource} (${r.apiVersion})`);
    for (const f of r.fields.slice(0, MAX_FIELDS)) lines.push(`${indent}    ${fieldLine(f)}`);
    if (r.fields.length > MAX_FIELDS) lines.push(`${indent}    … ${r.fields.length - MAX_FIELDS} more field changes`);
  }
  return lines;
}

function counts(app: AppManifestDiff): string {
  const n = (c: ChangeKind): number => app.resources.filter((r) => r.change === c).length;
  return `${n('added')} added, ${n('removed')} removed, ${n('changed')} changed`;
}

function header(app: AppManifestDiff): string {
  return `${SIGN[app.change]} Application ${app.application} (${app.app} on ${app.cluster}): resources ${counts(app)}`;
}

/** Plain text, one block per Application. */
export function formatManifestDiffText(diff: ManifestDiff): string {
  if (diff.apps.length === 0) return 'Resources: no Application changed\n';
  const blocks = diff.apps.map((app) => [header(app), ...appLines(app, '    ')].join('\n'));
  return `Resources deployed:\n\n${blocks.join('\n\n')}\n`;
}

function markdownApp(app: AppManifestDiff): string {
  const where = `<code>${escapeHtml(app.app)}</code> on <code>${escapeHtml(app.cluster)}</code>`;
  const summary = `${SIGN[app.change]} Application <code>${escapeHtml(app.application)}</code> — ${where}: ${counts(app)}`;
  // A diff block colours `+`/`-` lines; `~` lines of changed fields read as context.
  return ['<details><summary>', summary, '</summary>', '', fenceCode('diff', appLines(app, '').join('\n')), '', '</details>'].join('\n');
}

export interface ManifestMarkdownOptions {
  /** Longest result: Applications are dropped whole from the end, and a line says how many. */
  maxLength?: number;
}

/** The note that replaces Applications left out. */
function omittedNote(n: number): string {
  return `_${n} more Application${n === 1 ? '' : 's'} changed; run \`gitops-k8s diff --manifests\` locally._`;
}

/**
 * Markdown: a heading and one folded block per Application. With
 * `maxLength`, whole Applications are dropped from the end (never a block cut
 * in half) and replaced by {@link omittedNote}.
 */
export function formatManifestDiffMarkdown(diff: ManifestDiff, options: ManifestMarkdownOptions = {}): string {
  const head = '#### Resources deployed';
  if (diff.apps.length === 0) return `${head}\n\nNo Application changed.\n`;
  const blocks = diff.apps.map(markdownApp);
  const max = options.maxLength ?? Infinity;
  let length = head.length + 1;
  let kept = 0;
  for (const block of blocks) {
    const left = blocks.length - kept - 1;
    const reserve = left > 0 ? omittedNote(left).length + 2 : 0;
    if (length + block.length + 2 + reserve > max) break;
    length += block.length + 2;
    kept++;
  }
  const parts = [head, ...blocks.slice(0, kept)];
  if (kept < blocks.length) parts.push(omittedNote(blocks.length - kept));
  return `${parts.join('\n\n')}\n`;
}

/**
 * Cuts a comment body to `limit` characters at a line boundary, saying so. A
 * last resort: callers budget their parts so this rarely cuts anything.
 */
export function truncateComment(body: string, limit: number): string {
  if (body.length <= limit) return body;
  const note = '\n\n_(cut: too long for a comment)_';
  const budget = Math.max(0, limit - note.length);
  const cut = body.lastIndexOf('\n', budget);
  return `${body.slice(0, cut > 0 ? cut : budget)}${note}`;
}
