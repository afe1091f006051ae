/**
 * What an AppProject lets an Application deploy, decided as Argo CD decides
 * it: cluster-scoped kinds must be in clusterResourceWhitelist (an empty one
 * permits none) and not in the blacklist; namespaced kinds must be in
 * namespaceResourceWhitelist when there is one and not in the blacklist; a
 * namespace must be one of the destinations.
 */

interface GroupKind {
  group: string;
  kind: string;
  name?: string;
}

interface Destination {
  server?: string;
  name?: string;
  namespace?: string;
}

export interface ProjectSpec {
  clusterResourceWhitelist?: GroupKind[];
  clusterResourceBlacklist?: GroupKind[];
  namespaceResourceWhitelist?: GroupKind[];
  namespaceResourceBlacklist?: GroupKind[];
  destinations?: Destination[];
}

const globs = new Map<string, RegExp>();

/** Argo CD's globs on group, kind, name and namespace: `*` any run of characters, `?` one. */
function matchGlob(pattern: string, value: string): boolean {
  let re = globs.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    globs.set(pattern, re);
  }
  return re.test(value);
}

function listed(list: readonly GroupKind[] | undefined, group: string, kind: string, name: string): boolean {
  return (list ?? []).some((e) => matchGlob(e.group, group) && matchGlob(e.kind, kind) && (e.name === undefined || e.name === '' || matchGlob(e.name, name)));
}

/** Why the project refuses this kind, or undefined when it permits it. */
export function refusedKind(spec: ProjectSpec, object: { group: string; kind: string; name: string; clusterScoped: boolean }): string | undefined {
  const { group, kind, name } = object;
  if (object.clusterScoped) {
    if (!listed(spec.clusterResourceWhitelist, group, kind, name)) return "the cluster-scoped kind is not in the AppProject's clusterResourceWhitelist";
    if (listed(spec.clusterResourceBlacklist, group, kind, name)) return "the cluster-scoped kind is in the AppProject's clusterResourceBlacklist";
    return undefined;
  }
  if (spec.namespaceResourceWhitelist && spec.namespaceResourceWhitelist.length > 0 && !listed(spec.namespaceResourceWhitelist, group, kind, name)) {
    return "the kind is not in the AppProject's namespaceResourceWhitelist";
  }
  if (listed(spec.namespaceResourceBlacklist, group, kind, name)) return "the kind is in the AppProject's namespaceResourceBlacklist";
  return undefined;
}

/** Whether the project lets an Application deploy into `namespace` of the cluster at `destination`. */
export function permitsNamespace(spec: ProjectSpec, destination: { server?: string; name?: string }, namespace: string): boolean {
  return (spec.destinations ?? []).some((d) => {
    const cluster =
      destination.server !== undefined
        ? d.server !== undefined && matchGlob(d.server, destination.server)
        : d.name !== undefined && destination.name !== undefined && matchGlob(d.name, destination.name);
    return cluster && d.namespace !== undefined && matchGlob(d.namespace, namespace);
  });
}
