import { applicationPathOf } from '../load/check-application-file.js';
import { fieldOf } from '../schema/validate.js';
import type { Layer, LayerOrigin } from './layers.js';
import { mergeLayer, type FieldPath, type Trace } from './merge.js';

/**
 * Provenance: which layer, and so which file and line, set each app key.
 * `explain` shows it for every field, and problems found after merging
 * name the file they come from.
 */

/** The layers merged, with the layer that set each field. */
export function mergeTraced(layers: readonly Layer[]): { merged: unknown; trace: Trace<LayerOrigin> } {
  const trace: Trace<LayerOrigin> = new Map();
  let merged: unknown = {};
  for (const layer of layers) merged = mergeLayer(merged, layer.data, trace, layer.origin);
  return { merged, trace };
}

/** The origin of the deepest traced field that holds `path`. */
export function originOf<O>(trace: Trace<O>, path: FieldPath): { path: FieldPath; origin: O } | undefined {
  for (let i = path.length; i >= 0; i--) {
    const hit = trace.get(JSON.stringify(path.slice(0, i)));
    if (hit) return hit;
  }
  return undefined;
}

/**
 * Where the app key at `path` was set, for a problem: the file, its line, and
 * in a full Application the field as written there (spec.syncPolicy…), not as
 * an app key. `fallback` is the file named when no layer set it.
 */
export function whereSet(trace: Trace<LayerOrigin>, path: FieldPath, fallback: string): { file: string; line?: number; field?: string } {
  const hit = originOf(trace, path);
  if (!hit) return { file: fallback };
  const filePath = hit.origin.toFilePath(path);
  const field = hit.origin.toFilePath === applicationPathOf ? fieldOf(filePath) : undefined;
  return { file: hit.origin.file, line: hit.origin.yaml?.lineOf(filePath), ...(field === undefined ? {} : { field }) };
}
