// Optimal string alignment distance: a swap of two neighbouring letters
// (`chrat` for `chart`) is the most common typo and counts as one edit.
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * Names people use for a provider that differ from its preset's: the cloud's
 * name where the preset is named after its Kubernetes service. Spelling
 * distance cannot find these (`aws` is nearer to `aks` than to `eks`).
 */
export const providerAliases: Readonly<Record<string, string>> = {
  aws: 'eks',
  amazon: 'eks',
  google: 'gke',
  gcp: 'gke',
  azure: 'aks',
  microsoft: 'aks',
  do: 'digitalocean',
  'digital-ocean': 'digitalocean',
};

/**
 * The closest candidate to a misspelt word, if one is close enough to be a
 * likely typo (a third of the word's length, case ignored), else one that
 * starts the word or that the word starts (`prod` for `production`), else
 * the candidate `aliases` gives for the word.
 */
export function closest(word: string, candidates: Iterable<string>, aliases: Readonly<Record<string, string>> = {}): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = word.toLowerCase();
  const list = [...candidates];
  const alias = Object.hasOwn(aliases, lower) ? aliases[lower] : undefined;
  if (alias !== undefined && list.includes(alias)) return alias;
  for (const candidate of list) {
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(word.length / 3))) return best;
  const prefixes = list.filter((c) => {
    const other = c.toLowerCase();
    return Math.min(other.length, lower.length) >= 3 && (lower.startsWith(other) || other.startsWith(lower));
  });
  return prefixes.length === 1 ? prefixes[0] : undefined;
}

/** ` (did you mean "x"?)` or an empty string. */
export function didYouMean(word: string, candidates: Iterable<string>, aliases?: Readonly<Record<string, string>>): string {
  const match = closest(word, candidates, aliases);
  return match === undefined ? '' : ` (did you mean ${JSON.stringify(match)}?)`;
}
