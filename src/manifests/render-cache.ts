/**
 * Renders keyed by everything that decides their output (chart or commit,
 * values, release name, namespace, Kubernetes version): the same chart with
 * the same values on five clusters runs helm once. Failures are kept too, so
 * every Application sharing a broken render reports it.
 */
import type { KubeObject } from './kube-object.js';

export interface RenderCache {
  /** The render for `key`, made by `make` the first time. */
  get(key: string, make: () => Promise<readonly KubeObject[]>): Promise<readonly KubeObject[]>;
  /** Renders run, and renders answered from an earlier identical one. */
  readonly stats: { runs: number; shared: number };
}

export function createRenderCache(): RenderCache {
  const renders = new Map<string, Promise<readonly KubeObject[]>>();
  const stats = { runs: 0, shared: 0 };
  return {
    stats,
    get(key, make) {
      const known = renders.get(key);
      if (known) {
        stats.shared++;
        return known;
      }
      stats.runs++;
      const made = make();
      renders.set(key, made);
      return made;
    },
  };
}
