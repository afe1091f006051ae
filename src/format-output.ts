import { emitYamlChunks, emitYamlStream } from './emit-yaml.js';

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
