import { didYouMean } from '../did-you-mean.js';
import type { Problem } from '../errors.js';
import type { AppKeys, Cluster, PlatformRepo } from '../model.js';
import { selectsCluster } from '../render/render-applications.js';
import { fieldOf } from '../schema/validate.js';

const SHOWN = 10;

/**
 * Why a `clusters` selector matched no cluster: what the clusters have, and
 * a "did you mean" for each label key or value no cluster has.
 */
export function explainEmptySelection(selector: NonNullable<AppKeys['clusters']>, clusters: readonly Cluster[]): string {
  const hints: string[] = [];
  if (!Array.isArray(selector)) {
    for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
      const keys = new Set(clusters.flatMap((c) => Object.keys(c.labels)));
      if (!keys.has(key)) {
        hints.push(`no cluster has the label ${JSON.stringify(key)}${didYouMean(key, keys)}`);
        continue;
      }
      const values = new Set(clusters.flatMap((c) => (c.labels[key] === undefined ? [] : [c.labels[key]!])));
      if (!values.has(value)) hints.push(`no cluster has ${key}=${value}${didYouMean(value, values)}`);
    }
  }
  const shown = clusters.slice(0, SHOWN).map((c) => {
    const labels = Object.entries(c.labels).map(([k, v]) => `${k}=${v}`);
    return `${c.name} (provider ${c.provider}${labels.length > 0 ? `, labels ${labels.join(', ')}` : ', no labels'})`;
  });
  const more = clusters.length > SHOWN ? ` and ${clusters.length - SHOWN} more` : '';
  const has = `the clusters are ${shown.join('; ')}${more}`;
  return (
    `matches no cluster, so the app would run nowhere (and Argo CD would prune it): ${[...hints, has].join('; ')}. ` +
    'An app meant to run nowhere says enabled: false'
  );
}

/**
 * Apps whose `clusters` selector (their own, else their folder's or the
 * repo's default) matches none of the repo's clusters. Checked on the whole
 * repo, where the clusters are all known: the server renders one cluster at
 * a time. A selector naming an unknown cluster or provider is already an
 * error of its own, and an app that is `enabled: false` may select nothing.
 */
export function checkEmptySelections(platform: Pick<PlatformRepo, 'clusters' | 'providers' | 'namespaces' | 'settings'>, problems: Problem[]): void {
  const { clusters, providers, settings } = platform;
  for (const ns of platform.namespaces) {
    for (const app of ns.apps) {
      const selector = app.keys.clusters ?? ns.defaults.clusters ?? settings.defaults.clusters;
      if (!selector || clusters.some((c) => selectsCluster(selector, c))) continue;
      if ((app.keys.enabled ?? ns.defaults.enabled ?? settings.defaults.enabled) === false) continue;
      const names = Array.isArray(selector) ? selector : [...(selector.names ?? []), ...(selector.exclude ?? [])];
      if (!names.every((n) => clusters.some((c) => c.name === n))) continue;
      if (!Array.isArray(selector) && !(selector.providers ?? []).every((p) => providers.has(p))) continue;
      const [yaml, at] = app.keys.clusters
        ? [app.yaml, ['clusters']]
        : ns.defaults.clusters
          ? [ns.yaml, ['defaults', 'clusters']]
          : [settings.yaml, ['defaults', 'clusters']];
      problems.push({
        code: 'GK_UNKNOWN_CLUSTER',
        file: yaml?.file ?? app.source,
        line: yaml?.lineOf(at),
        field: fieldOf(at),
        message: `${explainEmptySelection(selector, clusters)}${yaml === app.yaml ? '' : ` (app ${ns.name}/${app.name})`}`,
      });
    }
  }
}
