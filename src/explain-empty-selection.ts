import { didYouMean } from './did-you-mean.js';
import type { AppKeys, Cluster } from './model.js';

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
  return `matches no cluster, so the app would run nowhere (and Argo CD would prune it): ${[...hints, has].join('; ')}. An app meant to run nowhere says enabled: false`;
}
