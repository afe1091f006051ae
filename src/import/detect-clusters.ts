/**
 * Clusters from the Applications' destinations: one per distinct `server` or
 * `name`, named after the Argo CD cluster name where the input has one, and
 * the provider guessed from the API server's host (the report says so).
 */
import { toDnsLabel } from '../core/render/naming.js';
import type { SourceObject } from './read-sources.js';

export interface ImportedCluster {
  name: string;
  provider: string;
  server?: string;
  /** The Argo CD cluster name, for destinations by name. */
  destinationName?: string;
  /** How the name and the provider were found, for the report. */
  guess: string;
}

const IN_CLUSTER = 'https://kubernetes.default.svc';

/** The provider of a Kubernetes API server URL, from the managed services' host names. */
function detectProvider(server: string): string {
  let host: string;
  try {
    host = new URL(server).hostname;
  } catch {
    return 'generic';
  }
  if (host.endsWith('.k8s.ondigitalocean.com')) return 'digitalocean';
  if (host.endsWith('.eks.amazonaws.com')) return 'eks';
  if (host.endsWith('.azmk8s.io')) return 'aks';
  // GKE: the control plane's IP, or its DNS endpoint (gke-<id>.<region>.gke.goog).
  if (host.endsWith('.gke.goog') || host.endsWith('.container.googleapis.com')) return 'gke';
  return 'generic';
}

/** The destination's key: what tells clusters apart. */
export function destinationKey(destination: { server?: string; name?: string }): string {
  return destination.name !== undefined && destination.server === undefined ? `name:${destination.name}` : `server:${destination.server ?? ''}`;
}

function destinationOf(app: SourceObject): { server?: string; name?: string } {
  const spec = app.object.spec as { destination?: { server?: string; name?: string } } | undefined;
  return spec?.destination ?? {};
}

/**
 * Cluster names the Application names suggest: where two Applications on
 * different servers share their leading words (`es-do-ams3`, `es-eks-eu`),
 * what follows is each one's cluster name. The most frequent wins per server.
 */
function suffixVotes(byKey: Map<string, { names: string[] }>): Map<string, string> {
  const votes = new Map<string, Map<string, number>>();
  const entries = [...byKey.entries()];
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      for (const a of entries[i]![1].names) {
        for (const b of entries[j]![1].names) {
          const wa = a.split('-');
          const wb = b.split('-');
          let k = 0;
          while (k < wa.length - 1 && k < wb.length - 1 && wa[k] === wb[k]) k++;
          if (k === 0) continue;
          for (const [key, words] of [
            [entries[i]![0], wa],
            [entries[j]![0], wb],
          ] as const) {
            const suffix = words.slice(k).join('-');
            const counts = votes.get(key) ?? new Map<string, number>();
            counts.set(suffix, (counts.get(suffix) ?? 0) + 1);
            votes.set(key, counts);
          }
        }
      }
    }
  }
  const out = new Map<string, string>();
  for (const [key, counts] of votes) {
    const best = [...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0];
    if (best) out.set(key, best[0]);
  }
  return out;
}

/** One cluster per distinct destination, by destination key. */
export function detectClusters(applications: readonly SourceObject[]): Map<string, ImportedCluster> {
  const byKey = new Map<string, { destination: { server?: string; name?: string }; names: string[] }>();
  for (const app of applications) {
    const destination = destinationOf(app);
    const key = destinationKey(destination);
    const entry = byKey.get(key) ?? { destination, names: [] };
    entry.names.push(String((app.object.metadata as { name?: unknown } | undefined)?.name ?? ''));
    byKey.set(key, entry);
  }
  const clusters = new Map<string, ImportedCluster>();
  const taken = new Set<string>();
  const claim = (wanted: string): string => {
    let name = toDnsLabel(wanted) || 'cluster';
    for (let i = 2; taken.has(name); i++) name = `${toDnsLabel(wanted)}-${i}`;
    taken.add(name);
    return name;
  };
  const suggested = suffixVotes(byKey);
  for (const [key, { destination }] of byKey) {
    if (destination.name !== undefined && destination.server === undefined) {
      const provider = 'generic';
      clusters.set(key, {
        name: claim(destination.name),
        provider,
        destinationName: destination.name,
        guess: `Argo CD cluster name ${destination.name}; provider ${provider} (a cluster by name has no server URL to tell)`,
      });
      continue;
    }
    const server = destination.server ?? IN_CLUSTER;
    const provider = detectProvider(server);
    let name: string;
    let how: string;
    const suffix = suggested.get(key);
    if (server === IN_CLUSTER) {
      name = claim('in-cluster');
      how = "in-cluster (Argo CD's own cluster)";
    } else if (suffix && !taken.has(toDnsLabel(suffix))) {
      name = claim(suffix);
      how = `named after its Applications' names`;
    } else {
      let host = server;
      try {
        host = new URL(server).hostname.split('.')[0]!;
      } catch {
        // Not a URL: the name is made from the text itself.
      }
      name = claim(host);
      how = 'named after its host';
    }
    clusters.set(key, {
      name,
      provider,
      server,
      guess: `${how}; provider ${provider}${provider === 'generic' ? " (the server URL is no managed service's)" : ' (from the server URL)'}`,
    });
  }
  return clusters;
}
