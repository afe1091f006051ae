import { emitYamlChunks, emitYamlStream } from '../core/yaml/emit-yaml.js';
import { errorCatalogue, type ErrorCode, type Problem } from '../core/errors.js';
import { prefixPath } from '../core/render/path-prefix.js';

export type OutputFormat = 'yaml' | 'json';

/** Kubernetes objects as a YAML stream or one JSON array, deterministic byte for byte. */
export function formatObjects(objects: readonly unknown[], format: OutputFormat = 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(objects, null, 2)}\n` : emitYamlStream(objects);
}

/**
 * The same text as {@link formatObjects}, in pieces to write one after the
 * other (the CLI writes 80 MB of YAML without joining it first).
 */
export function formatObjectChunks(objects: readonly unknown[], format: OutputFormat = 'yaml'): string[] {
  return format === 'json' ? [formatObjects(objects, 'json')] : emitYamlChunks(objects);
}

/** How `lint` reports problems: lines for people, JSON for tools, or GitHub Actions workflow commands. */
export const PROBLEM_FORMATS = ['text', 'json', 'github'] as const;
export type ProblemFormat = (typeof PROBLEM_FORMATS)[number];

/** One problem as `lint -o json` prints it; a key whose value is not known is left out. */
export interface ProblemRecord {
  code: ErrorCode;
  file?: string;
  line?: number;
  column?: number;
  field?: string;
  message: string;
}

/** The problems as a JSON array, one object per problem (code, file, line, column, field, message). */
export function formatProblemsJson(problems: readonly Problem[]): string {
  const records: ProblemRecord[] = problems.map((p) => ({ code: p.code, file: p.file, line: p.line, field: p.field, message: p.message }));
  return `${JSON.stringify(records, null, 2)}\n`;
}

// The escaping of @actions/core's command.ts (escapeData, escapeProperty),
// written out: that package writes to process.stdout itself and brings an
// HTTP client along, for two lines of replace().
function escapeCommandData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeCommandProperty(text: string): string {
  return escapeCommandData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * The problems as GitHub Actions `::error` workflow commands, which the
 * runner shows on the pull request at the file and line. `prefix` is where
 * the platform repo sits in the checked-out repository: annotations name
 * files from the repository's root.
 */
export function formatProblemsGithub(problems: readonly Problem[], prefix?: string): string {
  return problems
    .map((p) => {
      const properties: string[] = [];
      if (p.file !== undefined) properties.push(`file=${escapeCommandProperty(prefixPath(prefix, p.file))}`);
      if (p.line !== undefined) properties.push(`line=${p.line}`);
      properties.push(`title=${escapeCommandProperty(`${errorCatalogue[p.code].title} (${p.code})`)}`);
      const text = p.field ? `${p.field}: ${p.message}` : p.message;
      return `::error ${properties.join(',')}::${escapeCommandData(text)}\n`;
    })
    .join('');
}
