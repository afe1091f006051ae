import { didYouMean } from './did-you-mean.js';
import type { Problem } from './errors.js';
import type { AppDefinition } from './model.js';

/**
 * Sync waves from `syncWave` and `dependsOn`: an app's wave is its own
 * `syncWave` (default 0) or one more than the highest wave it depends on,
 * whichever is larger. A dependency is `namespace/app`, or `app` in the same
 * namespace. Unknown dependencies and cycles are problems.
 */
export function computeSyncWaves(apps: readonly AppDefinition[], problems: Problem[]): Map<string, number> {
  const byId = new Map<string, AppDefinition>();
  for (const app of apps) byId.set(`${app.namespace}/${app.name}`, app);
  const deps = new Map<string, string[]>();
  for (const app of apps) {
    const id = `${app.namespace}/${app.name}`;
    const list: string[] = [];
    (app.keys.dependsOn ?? []).forEach((raw, i) => {
      const dep = raw.includes('/') ? raw : `${app.namespace}/${raw}`;
      if (!byId.has(dep)) {
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
    let wave = byId.get(id)!.keys.syncWave ?? 0;
    for (const dep of deps.get(id) ?? []) wave = Math.max(wave, visit(dep, stack) + 1);
    stack.pop();
    state.set(id, 'done');
    waves.set(id, wave);
    return wave;
  };
  for (const id of [...byId.keys()].sort()) visit(id, []);
  return waves;
}
