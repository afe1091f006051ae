import { fenceCode } from './fence-code.js';
import { emitYaml } from '../yaml/emit-yaml.js';
import { escapeHtml } from '../../integrations/status/escape-html.js';
import type { ChangeKind, FieldChange, ObjectDiff, PlatformDiff } from './diff-platforms.js';

export type DiffFormat = 'text' | 'markdown' | 'json';
export const diffFormats: readonly DiffFormat[] = ['text', 'markdown', 'json'];

/** Options of {@link formatDiff}. */
export interface FormatDiffOptions {
  /** How the base and head revisions are shown (a short commit, a branch). */
  base?: string;
  head?: string;
  /** Longest value shown in a field change before it is cut. Default 300 characters. */
  maxValueLength?: number;
  /** Most field changes listed per object. Default 100. */
  maxFieldsPerObject?: number;
  /** Longest output (markdown: GitHub refuses comments over 65,536 characters). Default none. */
  maxLength?: number;
}

const SIGN: Record<ChangeKind, string> = { added: '+', removed: '-', changed: '~' };
const KIND_PLURAL: Record<string, string> = { Application: 'Applications', AppProject: 'AppProjects' };

function plural(kind: string): string {
  return KIND_PLURAL[kind] ?? `${kind}s`;
}

function showValue(value: unknown, max: number): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

function where(o: ObjectDiff): string {
  if (o.app && o.cluster) return ` (${o.app} on ${o.cluster})`;
  if (o.app) return ` (${o.app})`;
  return '';
}

/** One line per kind of object: `Applications: 1 added, 0 removed, 2 changed, 9 unchanged`. */
function summarizeCounts(diff: PlatformDiff): string[] {
  return Object.entries(diff.counts)
    .sort(([a], [b]) => (a === 'AppProject' ? -1 : b === 'AppProject' ? 1 : a.localeCompare(b)))
    .map(([kind, c]) => `${plural(kind)}: ${c.added} added, ${c.removed} removed, ${c.changed} changed, ${c.unchanged} unchanged`);
}

function fieldLine(f: FieldChange, max: number): string {
  if (f.change === 'added') return `+ ${f.path}: ${showValue(f.after, max)}`;
  if (f.change === 'removed') return `- ${f.path}: ${showValue(f.before, max)}`;
  return `~ ${f.path}: ${showValue(f.before, max)} -> ${showValue(f.after, max)}`;
}

function limitFields(fields: readonly FieldChange[], most: number): { shown: readonly FieldChange[]; hidden: number } {
  return fields.length > most ? { shown: fields.slice(0, most), hidden: fields.length - most } : { shown: fields, hidden: 0 };
}

function formatText(diff: PlatformDiff, o: Required<Pick<FormatDiffOptions, 'maxValueLength' | 'maxFieldsPerObject'>> & FormatDiffOptions): string {
  const lines: string[] = [];
  if (o.base !== undefined || o.head !== undefined) lines.push(`base ${o.base ?? '?'}  head ${o.head ?? '?'}`);
  if (diff.objects.length === 0) {
    lines.push('no difference');
  }
  lines.push(...summarizeCounts(diff));
  const f = diff.fieldCounts;
  if (f.added + f.removed + f.changed > 0) lines.push(`Fields: ${f.changed} changed, ${f.added} added, ${f.removed} removed`);
  for (const obj of diff.objects) {
    lines.push('', `${SIGN[obj.change]} ${obj.kind} ${obj.name}${where(obj)}`);
    const { shown, hidden } = limitFields(obj.fields, o.maxFieldsPerObject);
    for (const field of shown) lines.push(`    ${fieldLine(field, o.maxValueLength)}`);
    if (hidden > 0) lines.push(`    … ${hidden} more field changes`);
  }
  return `${lines.join('\n')}\n`;
}

function codeBlock(lang: string, text: string): string {
  return fenceCode(lang, text.replace(/\n$/, ''));
}

function diffBlockLines(f: FieldChange, max: number): string[] {
  if (f.change === 'added') return [`+ ${f.path}: ${showValue(f.after, max)}`];
  if (f.change === 'removed') return [`- ${f.path}: ${showValue(f.before, max)}`];
  return [`- ${f.path}: ${showValue(f.before, max)}`, `+ ${f.path}: ${showValue(f.after, max)}`];
}

/** Markdown names are DNS labels, but app paths and clusters pass through here too. */
function inlineCode(text: string): string {
  return `<code>${escapeHtml(text)}</code>`;
}

function markdownWhere(o: ObjectDiff): string {
  if (o.app && o.cluster) return ` — ${inlineCode(o.app)} on ${inlineCode(o.cluster)}`;
  if (o.app) return ` — ${inlineCode(o.app)}`;
  return '';
}

function formatMarkdown(diff: PlatformDiff, o: Required<Pick<FormatDiffOptions, 'maxValueLength' | 'maxFieldsPerObject'>> & FormatDiffOptions): string {
  const out: string[] = [];
  const revs = o.base !== undefined || o.head !== undefined ? ` (${inlineCode(o.base ?? '?')} → ${inlineCode(o.head ?? '?')})` : '';
  const kinds = Object.keys(diff.counts).sort((a, b) => (a === 'AppProject' ? -1 : b === 'AppProject' ? 1 : a.localeCompare(b)));
  if (diff.objects.length === 0) {
    const totals = kinds.map((k) => `${diff.counts[k]!.unchanged} ${plural(k)}`).join(', ');
    out.push(`**No change** to the generated objects${revs}${totals ? `: ${totals} stay the same.` : '.'}`);
    return `${out.join('\n')}\n`;
  }
  out.push(`**What this change generates**${revs}`, '');
  out.push(`| | ${kinds.map(plural).join(' | ')} |`, `|---|${kinds.map(() => '---:').join('|')}|`);
  for (const change of ['added', 'removed', 'changed', 'unchanged'] as const) {
    out.push(`| ${change} | ${kinds.map((k) => diff.counts[k]![change]).join(' | ')} |`);
  }
  const f = diff.fieldCounts;
  if (f.added + f.removed + f.changed > 0) out.push('', `Fields: ${f.changed} changed, ${f.added} added, ${f.removed} removed.`);

  const sections: [ChangeKind, string][] = [
    ['added', 'Added'],
    ['removed', 'Removed'],
    ['changed', 'Changed'],
  ];
  for (const [change, title] of sections) {
    const list = diff.objects.filter((x) => x.change === change);
    if (list.length === 0) continue;
    out.push('', `#### ${title} (${list.length})`, '');
    for (const obj of list) {
      if (change === 'changed') {
        const { shown, hidden } = limitFields(obj.fields, o.maxFieldsPerObject);
        const body = shown.flatMap((x) => diffBlockLines(x, o.maxValueLength));
        if (hidden > 0) body.push(`# … ${hidden} more field changes`);
        out.push(
          `<details><summary>${escapeHtml(obj.kind)} ${inlineCode(obj.name)}${markdownWhere(obj)}: ` +
            `${obj.fields.length} field${obj.fields.length === 1 ? '' : 's'}</summary>`,
          '',
          codeBlock('diff', body.join('\n')),
          '',
          '</details>',
        );
      } else {
        out.push(
          `<details><summary>${SIGN[change]} ${escapeHtml(obj.kind)} ${inlineCode(obj.name)}${markdownWhere(obj)}</summary>`,
          '',
          codeBlock('yaml', emitYaml(obj.object)),
          '',
          '</details>',
        );
      }
    }
  }
  return `${out.join('\n')}\n`;
}

function formatJson(diff: PlatformDiff, o: FormatDiffOptions): string {
  const body = {
    ...(o.base !== undefined ? { base: o.base } : {}),
    ...(o.head !== undefined ? { head: o.head } : {}),
    changed: diff.objects.length > 0,
    counts: diff.counts,
    fieldCounts: diff.fieldCounts,
    objects: diff.objects.map((x) => ({
      kind: x.kind,
      name: x.name,
      change: x.change,
      ...(x.app !== undefined ? { app: x.app } : {}),
      ...(x.cluster !== undefined ? { cluster: x.cluster } : {}),
      ...(x.change === 'changed' ? { fields: x.fields } : { object: x.object }),
    })),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** Formats a diff as plain text (terminals), markdown (pull-request comments) or JSON (tools). */
export function formatDiff(diff: PlatformDiff, format: DiffFormat, options: FormatDiffOptions = {}): string {
  const o = { maxValueLength: 300, maxFieldsPerObject: 100, ...options };
  const text = format === 'json' ? formatJson(diff, o) : format === 'markdown' ? formatMarkdown(diff, o) : formatText(diff, o);
  if (o.maxLength === undefined || text.length <= o.maxLength || format === 'json') return text;
  return truncateMarkdown(text, o.maxLength, format);
}

/**
 * Cuts a long text at a line boundary and says so. Markdown is cut before an
 * object's `<details>` so no block is left open.
 */
function truncateMarkdown(text: string, max: number, format: DiffFormat): string {
  const note =
    format === 'markdown'
      ? '\n\n_The diff is too long to show in full; run `gitops-k8s diff` locally for the rest._\n'
      : '\n… output cut; the rest is too long\n';
  const budget = Math.max(0, max - note.length);
  let cut = text.lastIndexOf(format === 'markdown' ? '\n<details>' : '\n', budget);
  if (cut <= 0) cut = text.lastIndexOf('\n', budget);
  return `${text.slice(0, Math.max(0, cut))}${note}`;
}
