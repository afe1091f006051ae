import type { AppKeys } from '../model.js';
import type { Layer, LayerCache } from './layers.js';
import { mergeLayer } from './merge.js';

/** Layer data without `vars`, and its `vars`. */
export interface SplitKeys {
  /** Undefined when the layer sets nothing but vars. */
  rest: AppKeys | undefined;
  vars: unknown;
}

function splitVars(cache: LayerCache, data: AppKeys): SplitKeys {
  let split = cache.splits.get(data);
  if (!split) {
    const { vars, ...rest } = data;
    split = { rest: Object.keys(rest).length > 0 ? rest : undefined, vars };
    cache.splits.set(data, split);
  }
  return split;
}

/**
 * Merges the layers of (app, cluster) pairs as mergeLayer does, sharing
 * the work: the top-level keys merge independently, so the app keys but
 * `vars` depend only on the layers that set any, and those are the same
 * objects for most clusters of an app (cluster files mostly set vars); the
 * merged objects are shared too, which lets templating reuse its results.
 * One per render: what it merged is kept until the render ends.
 */
export class LayerMerger {
  private readonly ids = new WeakMap<object, number>();
  private readonly merged = new Map<string, unknown>();

  private next = 0;

  constructor(private readonly cache: LayerCache) {}

  private idOf(value: object): number {
    let id = this.ids.get(value);
    if (id === undefined) this.ids.set(value, (id = this.next++));
    return id;
  }

  merge(layers: readonly Layer[]): { rest: AppKeys; vars: unknown } {
    let restKey = 'r';
    let varsKey = 'v';
    for (const layer of layers) {
      const { rest, vars } = splitVars(this.cache, layer.data);
      if (rest) restKey += `${this.idOf(rest)},`;
      if (vars !== undefined) varsKey += vars !== null && typeof vars === 'object' ? `${this.idOf(vars)},` : `${JSON.stringify(vars)},`;
    }
    let rest = this.merged.get(restKey) as AppKeys | undefined;
    if (!rest) {
      let out: unknown = {};
      for (const layer of layers) {
        const part = splitVars(this.cache, layer.data).rest;
        if (part) out = mergeLayer(out, part);
      }
      this.merged.set(restKey, (rest = out as AppKeys));
    }
    let vars = this.merged.get(varsKey);
    if (!this.merged.has(varsKey)) {
      for (const layer of layers) {
        const part = splitVars(this.cache, layer.data).vars;
        if (part !== undefined) vars = mergeLayer(vars, part);
      }
      this.merged.set(varsKey, vars);
    }
    return { rest, vars };
  }
}
