/**
 * The same app on several clusters: Applications whose names differ only by
 * their cluster's name become one app with a `clusters:` selection, and what
 * differs per cluster becomes `overrides.clusters.<name>`. Names are kept:
 * `naming.application` is the pattern most apps follow, an app's `name:`
 * (a pattern or, per cluster, the name itself) says the rest.
 */
import { isDeepStrictEqual } from 'node:util';
import { isPlainObject } from '../core/layering/merge.js';
import type { AppKeys } from '../core/model.js';
import { toDnsLabel } from '../core/render/naming.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SOURCE_KEYS = ['repoURL', 'chart', 'path'];

/** Name patterns tried for naming.application and an app's `name:`, the first that fits most apps winning. */
const NAME_PATTERNS = [
  '{{app}}',
  '{{app}}-{{cluster.name}}',
  '{{namespace}}-{{app}}-{{cluster.name}}',
  '{{namespace}}-{{app}}',
  '{{cluster.name}}-{{app}}',
  '{{app}}-{{namespace}}',
];

export interface Member {
  /** The Application's name, kept. */
  name: string;
  cluster: string;
  origin: string;
}

export interface Group {
  namespace: string;
  /** A grouping key beyond the namespace: the source kind, or `full`. */
  kind: string;
  base: string;
  members: Member[];
  /** Chosen by {@link nameGroups}. */
  app?: string;
  /** The app's `name:` pattern, when naming.application does not give the names. */
  namePattern?: string;
  /** Per cluster names, when no pattern gives them. */
  literalNames?: Map<string, string>;
}

/** The Application name a pattern gives, as render makes it. */
function applyPattern(pattern: string, app: string, namespace: string, cluster: string): string {
  return toDnsLabel(pattern.replaceAll('{{app}}', app).replaceAll('{{namespace}}', namespace).replaceAll('{{cluster.name}}', cluster));
}

/** The app name an Application name suggests: without its cluster's name before or after it. */
export function baseName(name: string, cluster: string): string {
  if (name.endsWith(`-${cluster}`) && name.length > cluster.length + 1) return name.slice(0, -cluster.length - 1);
  if (name.startsWith(`${cluster}-`) && name.length > cluster.length + 1) return name.slice(cluster.length + 1);
  return name;
}

function appCandidates(group: Group): string[] {
  const { base, namespace } = group;
  const list = [base];
  if (base.startsWith(`${namespace}-`)) list.push(base.slice(namespace.length + 1));
  if (base.endsWith(`-${namespace}`)) list.push(base.slice(0, -namespace.length - 1));
  return list.filter((n) => n.length > 0 && n.length <= 63 && DNS_LABEL.test(n));
}

function fits(pattern: string, app: string, group: Group): boolean {
  return group.members.every((m) => applyPattern(pattern, app, group.namespace, m.cluster) === m.name);
}

/**
 * Picks naming.application and each group's app name and `name:`. Returns
 * the pattern; groups get `app`, and `namePattern` or `literalNames` where
 * the pattern does not give their names. App names are unique per folder.
 */
export function nameGroups(groups: Group[]): string {
  let best = NAME_PATTERNS[0]!;
  let bestScore = -1;
  for (const pattern of NAME_PATTERNS) {
    const score = groups.filter((g) => appCandidates(g).some((app) => fits(pattern, app, g))).length;
    if (score > bestScore) [best, bestScore] = [pattern, score];
  }
  const used = new Map<string, Set<string>>();
  for (const group of groups) {
    const taken = used.get(group.namespace) ?? new Set<string>();
    used.set(group.namespace, taken);
    const candidates = appCandidates(group).filter((a) => !taken.has(a));
    let app = candidates.find((a) => fits(best, a, group));
    if (app === undefined) {
      let fallback = candidates[0] ?? (toDnsLabel(group.base).slice(0, 60).replace(/-+$/, '') || 'app');
      for (let i = 2; taken.has(fallback); i++) fallback = `${fallback.replace(/-\d+$/, '')}-${i}`;
      app = fallback;
      const pattern = NAME_PATTERNS.find((p) => fits(p, app!, group));
      if (pattern) group.namePattern = pattern;
      else group.literalNames = new Map(group.members.map((m) => [m.cluster, m.name]));
    }
    taken.add(app);
    group.app = app;
  }
  return best;
}

/** What every value has in common: maps by key, anything else when equal everywhere. */
function commonPart(values: readonly unknown[]): unknown {
  if (values.length === 0) return undefined;
  if (values.every(isPlainObject)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(values[0] as Record<string, unknown>)) {
      if (!values.every((v) => key in (v as Record<string, unknown>))) continue;
      const part = commonPart(values.map((v) => (v as Record<string, unknown>)[key]));
      if (part !== undefined) out[key] = part;
    }
    // An empty map in common says nothing, unless every value was that empty map.
    if (Object.keys(out).length === 0 && Object.keys(values[0] as Record<string, unknown>).length > 0) return undefined;
    return out;
  }
  return values.every((v) => isDeepStrictEqual(v, values[0])) ? values[0] : undefined;
}

/** What `value` has beyond `common` (a layer that, merged over it, gives `value`). */
export function beyond(value: unknown, common: unknown): unknown {
  if (isPlainObject(value) && isPlainObject(common)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const rest = key in common ? beyond(v, common[key]) : v;
      if (rest !== undefined) out[key] = rest;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return isDeepStrictEqual(value, common) ? undefined : value;
}

/**
 * One app's keys from its members' keys (by cluster): keys equal on every
 * cluster go in the app, the rest in `overrides.clusters`. Values are split
 * deeper (maps merge in layers; a key present on one cluster only is the
 * override's). A key some member lacks cannot be unset by an override, so it
 * is per cluster for all members that have it.
 */
export function mergeMembers(byCluster: Map<string, AppKeys>): AppKeys {
  const entries = [...byCluster.entries()];
  const all = entries.map(([, keys]) => keys as Record<string, unknown>);
  const app: Record<string, unknown> = {};
  const overrides: Record<string, Record<string, unknown>> = {};
  const names = new Set(all.flatMap((k) => Object.keys(k)));
  // repoURL, chart and path say together what the source is: an app file with one of them needs the others beside it.
  const sourceSplit = SOURCE_KEYS.some((key) => !all.every((k) => isDeepStrictEqual(k[key], all[0]![key])));
  for (const key of names) {
    const values = all.map((k) => k[key]);
    if (sourceSplit && SOURCE_KEYS.includes(key)) {
      entries.forEach(([cluster], i) => {
        if (values[i] !== undefined) (overrides[cluster] ??= {})[key] = values[i];
      });
      continue;
    }
    if (key === 'values' && values.every(isPlainObject)) {
      const common = (commonPart(values) ?? {}) as Record<string, unknown>;
      if (Object.keys(common).length > 0) app.values = common;
      entries.forEach(([cluster, keys], i) => {
        const rest = beyond(values[i], common);
        if (rest !== undefined) (overrides[cluster] ??= {}).values = rest;
        void keys;
      });
      continue;
    }
    if (values.every((v) => v !== undefined && isDeepStrictEqual(v, values[0]))) {
      app[key] = values[0];
      continue;
    }
    entries.forEach(([cluster], i) => {
      if (values[i] !== undefined) (overrides[cluster] ??= {})[key] = values[i];
    });
  }
  if (Object.keys(overrides).length > 0) app.overrides = { clusters: overrides };
  return app as AppKeys;
}
