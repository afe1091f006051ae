import { didYouMean } from '../did-you-mean.js';
import type { Problem } from '../errors.js';
import type { AppDefinition } from '../model.js';

/** Options of {@link computeSyncWaves}. */
export interface SyncWaveOptions {
  /** The wave an app has before its dependencies count (its own, its folder's or the repo's `syncWave`). */
  baseWave?: (app: AppDefinition) => number;
  /**
   * Ids of apps that exist but failed validation: depending on them is not
   * "unknown" (their own problem is reported already).
   */
  broken?: ReadonlySet<string>;
}

/** `namespace/app` of a dependency written in namespace `namespace`. */
export function dependencyId(namespace: string, raw: string): string {
  return raw.includes('/') ? raw : `${namespace}/${raw}`;
}

/**
 * Sync waves from `syncWave` and `dependsOn`: an app's wave is its base wave
 * (default 0) or one more than the highest wave it depends on, whichever is
 * larger. A dependency is `namespace/app`, or `app` in the same namespace.
 * Unknown dependencies and cycles are problems.
 */
export function computeSyncWaves(apps: readonly AppDefinition[], problems: Problem[], options: SyncWaveOptions = {}): Map<string, number> {
  const baseWave = options.baseWave ?? ((app: AppDefinition) => app.keys.syncWave ?? 0);
  const byId = new Map<string, AppDefinition>();
  for (const app of apps) byId.set(`${app.namespace}/${app.name}`, app);
  const deps = new Map<string, string[]>();
  for (const app of apps) {
    const id = `${app.namespace}/${app.name}`;
    const list: string[] = [];
    (app.keys.dependsOn ?? []).forEach((raw, i) => {
      const dep = dependencyId(app.namespace, raw);
      if (options.broken?.has(dep)) return;
      if (dep === id) {
        problems.push({
          code: 'GK_DEPENDENCY_CYCLE',
          file: app.source,
          line: app.yaml?.lineOf(['dependsOn', i]),
          field: `dependsOn[${i}]`,
          message: 'an app cannot depend on itself',
        });
      } else if (!byId.has(dep)) {
        problems.push({
          code: 'GK_UNKNOWN_DEPENDENCY',
          file: app.source,
          line: app.yaml?.lineOf(['dependsOn', i]),
          field: `dependsOn[${i}]`,
          message: `no app ${JSON.stringify(dep)}${didYouMean(dep, byId.keys())}`,
        });
      } else {
        list.push(dep);
      }
    });
    deps.set(id, list);
  }

  const waves = new Map<string, number>();
  const state = new Map<string, 'visiting' | 'done'>();
  const reported = new Set<string>();
  const visit = (id: string, stack: string[]): number => {
    const seen = state.get(id);
    if (seen === 'done') return waves.get(id)!;
    if (seen === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(id)), id];
      const key = [...cycle.slice(0, -1)].sort().join(',');
      if (!reported.has(key)) {
        reported.add(key);
        const app = byId.get(id)!;
        problems.push({
          code: 'GK_DEPENDENCY_CYCLE',
          file: app.source,
          line: app.yaml?.lineOf(['dependsOn']),
          field: 'dependsOn',
          message: `dependency cycle: ${cycle.join(' -> ')}`,
        });
      }
      return 0;
    }
    state.set(id, 'visiting');
    stack.push(id);
    let wave = baseWave(byId.get(id)!);
    for (const dep of deps.get(id) ?? []) wave = Math.max(wave, visit(dep, stack) + 1);
    stack.pop();
    state.set(id, 'done');
    waves.set(id, wave);
    return wave;
  };
  for (const id of [...byId.keys()].sort()) visit(id, []);
  return waves;
}
