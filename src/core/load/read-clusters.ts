import { didYouMean, providerAliases } from '../did-you-mean.js';
import type { AppKeys, Cluster } from '../model.js';
import type { YamlFile } from '../yaml/parse-yaml.js';
import { checkClusterDestinations } from './check-cluster-destinations.js';
import type { ReadProviders } from './read-providers.js';
import { readNamedFile, type RepoReader } from './repo-reader.js';

const IN_CLUSTER: Omit<Cluster, 'yaml'> = {
  name: 'in-cluster',
  provider: 'generic',
  server: 'https://kubernetes.default.svc',
  labels: {},
  vars: {},
  defaults: {},
};

type ClusterFile = {
  provider: string;
  environment?: string;
  server?: string;
  name?: string;
  labels?: Record<string, string>;
  vars?: Record<string, unknown>;
  defaults?: AppKeys;
} & Pick<Cluster, 'kubernetesVersion' | 'apiVersions' | 'crds'>;

/** The clusters and the names whose file has a problem. */
export interface ReadClusters {
  clusters: Cluster[];
  /** Cluster files with a problem of their own: apps naming them are not also "unknown cluster". */
  broken: Set<string>;
  /** Whether clusters/ is absent and the in-cluster cluster stands in. */
  implicit: boolean;
}

/** Reads clusters/<name>.yaml; without a clusters/ folder, the one cluster is the in-cluster one. */
export function readClusters(reader: RepoReader, { providers, broken: brokenProviders }: ReadProviders): ReadClusters {
  const clusters: Cluster[] = [];
  const broken = new Set<string>();
  const implicit = reader.problems.capture(() => reader.repo.kind('clusters')) !== 'dir';
  if (implicit) return { clusters: [{ ...IN_CLUSTER }], broken, implicit };
  const clusterFiles = reader.yamlEntries('clusters');
  if (clusterFiles.length === 0) {
    reader.problems.push({
      code: 'GK_NOT_FOUND',
      file: 'clusters',
      message: 'holds no clusters/<name>.yaml; add one, or remove the folder to deploy to the in-cluster cluster',
    });
  }
  for (const entry of clusterFiles) {
    const { base, file } = entry;
    broken.add(base);
    const read = readNamedFile(reader, entry, 'cluster');
    if (!read) continue;
    const { yaml, data } = read;
    const d = data as ClusterFile;
    if (brokenProviders.has(d.provider)) continue;
    if (!providers.has(d.provider)) {
      reader.problems.push({
        code: 'GK_UNKNOWN_PROVIDER',
        file,
        line: yaml.lineOf(['provider']),
        field: 'provider',
        message:
          `unknown provider ${JSON.stringify(d.provider)}${didYouMean(d.provider, providers.keys(), providerAliases)}; ` +
          `known: ${[...providers.keys()].sort().join(', ')} (or add providers/${d.provider}.yaml)`,
      });
      continue;
    }
    clusters.push(clusterOf(base, d, yaml));
    broken.delete(base);
  }
  checkClusterDestinations(clusters, reader.problems.problems);
  return { clusters, broken, implicit };
}

function clusterOf(name: string, d: ClusterFile, yaml: YamlFile): Cluster {
  return {
    name,
    provider: d.provider,
    ...(d.environment === undefined ? {} : { environment: d.environment }),
    server: d.server ?? (d.name === undefined ? 'https://kubernetes.default.svc' : undefined),
    destinationName: d.name,
    labels: d.labels ?? {},
    vars: d.vars ?? {},
    defaults: d.defaults ?? {},
    ...(d.kubernetesVersion !== undefined ? { kubernetesVersion: d.kubernetesVersion } : {}),
    ...(d.apiVersions !== undefined ? { apiVersions: d.apiVersions } : {}),
    ...(d.crds !== undefined ? { crds: d.crds } : {}),
    yaml,
  };
}
