import type { Problem } from '../errors.js';
import type { Cluster } from '../model.js';

// `https://X/` and `https://x` are the same API server to Argo CD's cluster lookup in practice.
function serverKey(server: string): string {
  return server.replace(/\/+$/, '').toLowerCase();
}

/**
 * Two cluster files with one Argo CD destination (the same `server`, the
 * in-cluster URL by default included, or the same `name`) would send every app
 * twice to one cluster: two Applications fighting over the same objects.
 */
export function checkClusterDestinations(clusters: readonly Cluster[], problems: Problem[]): void {
  const seen = new Map<string, Cluster>();
  for (const cluster of clusters) {
    if (!cluster.yaml) continue;
    const key = cluster.destinationName !== undefined ? `name:${cluster.destinationName}` : `server:${serverKey(cluster.server ?? '')}`;
    const other = seen.get(key);
    if (!other) {
      seen.set(key, cluster);
      continue;
    }
    const field = cluster.destinationName !== undefined ? 'name' : 'server';
    const explicit = field === 'name' || (cluster.yaml.data !== null && typeof cluster.yaml.data === 'object' && 'server' in cluster.yaml.data);
    const what =
      field === 'name'
        ? `Argo CD cluster name ${JSON.stringify(cluster.destinationName)}`
        : `server ${cluster.server}${explicit ? '' : ' (the default without server or name)'}`;
    problems.push({
      code: 'GK_NAME_COLLISION',
      file: cluster.yaml.file,
      line: explicit ? cluster.yaml.lineOf([field]) : undefined,
      field: explicit ? field : undefined,
      message: `${what} is also the destination of ${other.yaml!.file}; two cluster files may not name one cluster (every app would be deployed to it twice)`,
    });
  }
}
