/**
 * `check`: every rendered resource against what Argo CD enforces or trips
 * on. Four checks, each finding naming the app file, the cluster and the
 * resource (`kind/namespace/name`):
 * - project: the AppProject permits the kind and the namespace;
 * - duplicate: no two Applications on one cluster manage the same object;
 * - removed-api: the cluster's Kubernetes still serves the apiVersion;
 * - crd: a custom resource's CRD is on the cluster before it is applied.
 */
import type { NamespaceFolder, PlatformRepo } from '../core/model.js';
import { LABEL_PREFIX, SYNC_WAVE } from '../core/argo-labels.js';
import type { RenderedApp } from '../core/render/render-applications.js';
import type { AppProject } from '../core/render/render-projects.js';
import { groupOf, type KubeObject } from './kube-object.js';
import { permitsNamespace, refusedKind, type ProjectSpec } from './project-permits.js';
import type { AppManifests } from './render-manifests.js';
import { findRemovedApi } from './removed-apis.js';
import { BUILT_IN_GROUPS, isClusterScopedBuiltIn } from './resource-scope.js';

export type CheckName = 'project' | 'duplicate' | 'removed-api' | 'crd';

export interface Finding {
  check: CheckName;
  /** The app's file (repo-relative). */
  file: string;
  /** `namespace/app`. */
  app: string;
  cluster: string;
  /** `kind/namespace/name`; the namespace is empty for cluster-scoped objects. */
  resource: string;
  message: string;
}

/** Entries to add under `project:` of a namespace.yaml that would permit what was refused. */
export interface Suggestion {
  file: string;
  field: 'clusterResourceWhitelist' | 'namespaceResourceWhitelist' | 'extraDestinations';
  entries: Record<string, string>[];
}

export interface CheckReport {
  findings: Finding[];
  suggestions: Suggestion[];
  /** What was not checked, and why. */
  notes: string[];
}

interface CrdInfo {
  scope: 'Namespaced' | 'Cluster';
  /** Applications installing it, with their sync wave. */
  installers: { app: string; wave: number }[];
}

function waveOf(r: RenderedApp): number {
  const n = Number.parseInt(r.application.metadata.annotations[SYNC_WAVE] ?? '0', 10);
  return Number.isNaN(n) ? 0 : n;
}

function appId(r: RenderedApp): string {
  return `${r.app.namespace}/${r.app.name}`;
}

/** The CRDs on one cluster: declared in its file, or installed by its Applications. */
function crdsOf(apps: readonly AppManifests[]): Map<string, CrdInfo> {
  const crds = new Map<string, CrdInfo>();
  const cluster = apps[0]?.rendered.cluster;
  for (const c of cluster?.crds ?? [])
    crds.set(`${c.group}/${c.kind}`, {
      scope: c.scope ?? 'Namespaced',
      installers: [{ app: `(declared in ${cluster?.yaml?.file ?? 'the cluster file'})`, wave: -Infinity }],
    });
  for (const { rendered, objects } of apps) {
    for (const o of objects) {
      if (o.kind !== 'CustomResourceDefinition' || groupOf(o.apiVersion) !== 'apiextensions.k8s.io') continue;
      const spec = o.spec as { group?: string; scope?: string; names?: { kind?: string } } | undefined;
      if (!spec?.group || !spec.names?.kind) continue;
      const key = `${spec.group}/${spec.names.kind}`;
      const info = crds.get(key) ?? { scope: spec.scope === 'Cluster' ? 'Cluster' : 'Namespaced', installers: [] };
      info.installers.push({ app: appId(rendered), wave: waveOf(rendered) });
      crds.set(key, info);
    }
  }
  return crds;
}

function folderOfProject(repo: PlatformRepo, project: AppProject | undefined): NamespaceFolder | undefined {
  const folder = project?.metadata.labels[`${LABEL_PREFIX}namespace`];
  return repo.namespaces.find((ns) => ns.name === folder);
}

/**
 * Checks rendered manifests. `apps` holds every Application of the clusters
 * checked (CRDs and duplicates depend on the others); findings are made for
 * those `selected` only.
 */
export function checkManifests(
  repo: PlatformRepo,
  projects: readonly AppProject[],
  apps: readonly AppManifests[],
  selected: (r: RenderedApp) => boolean = () => true,
): CheckReport {
  const findings: Finding[] = [];
  const suggestions = new Map<string, Suggestion>();
  const notes: string[] = [];
  const suggest = (file: string, field: Suggestion['field'], entry: Record<string, string>): void => {
    const key = `${file}\u0000${field}`;
    const s = suggestions.get(key) ?? { file, field, entries: [] };
    if (!s.entries.some((e) => JSON.stringify(e) === JSON.stringify(entry))) s.entries.push(entry);
    suggestions.set(key, s);
  };
  const projectsByName = new Map(projects.map((p) => [p.metadata.name, p]));
  const byCluster = new Map<string, AppManifests[]>();
  for (const a of apps) {
    const list = byCluster.get(a.rendered.cluster.name) ?? [];
    list.push(a);
    byCluster.set(a.rendered.cluster.name, list);
  }
  for (const [clusterName, onCluster] of [...byCluster].sort(([a], [b]) => a.localeCompare(b))) {
    const cluster = onCluster[0]!.rendered.cluster;
    const crds = crdsOf(onCluster);
    const declaredApis = new Set(cluster.apiVersions ?? []);
    const owners = new Map<string, string>();
    if (!cluster.kubernetesVersion)
      notes.push(`cluster ${clusterName}: removed APIs not checked; set kubernetesVersion in ${cluster.yaml?.file ?? `clusters/${clusterName}.yaml`}`);
    for (const { rendered, objects } of onCluster) {
      const report = selected(rendered);
      const destination = rendered.application.spec.destination as { server?: string; name?: string; namespace?: string };
      const destinationNs = destination.namespace ?? '';
      const project = projectsByName.get(String(rendered.application.spec.project));
      const folder = folderOfProject(repo, project);
      const folderFile = folder ? (folder.yaml?.file ?? `${folder.dir}/namespace.yaml`) : undefined;
      const wave = waveOf(rendered);
      if (report && !project)
        notes.push(
          `${appId(rendered)} on ${clusterName}: AppProject ${String(rendered.application.spec.project)} ` +
            'is not generated by this repo; its permissions are not checked',
        );
      const find = (check: CheckName, resource: string, message: string): void => {
        if (report) findings.push({ check, file: rendered.app.source, app: appId(rendered), cluster: clusterName, resource, message });
      };
      for (const o of objects as KubeObject[]) {
        const group = groupOf(o.apiVersion);
        const crd = crds.get(`${group}/${o.kind}`);
        const clusterScoped = isClusterScopedBuiltIn(group, o.kind) || crd?.scope === 'Cluster';
        const namespace = clusterScoped ? '' : o.metadata.namespace || destinationNs;
        const resource = `${o.kind}/${namespace}/${o.metadata.name}`;
        const groupKind = group === '' ? o.kind : `${o.kind}.${group}`;

        if (project) {
          const spec = project.spec as ProjectSpec;
          const refused = refusedKind(spec, { group, kind: o.kind, name: o.metadata.name, clusterScoped });
          if (refused) {
            find('project', resource, `AppProject ${project.metadata.name} refuses ${groupKind}: ${refused}`);
            if (report && folderFile) suggest(folderFile, clusterScoped ? 'clusterResourceWhitelist' : 'namespaceResourceWhitelist', { group, kind: o.kind });
          }
          if (!clusterScoped && o.metadata.namespace && o.metadata.namespace !== destinationNs && !permitsNamespace(spec, destination, o.metadata.namespace)) {
            find('project', resource, `AppProject ${project.metadata.name} has no destination for namespace ${o.metadata.namespace} on this cluster`);
            if (report && folderFile)
              suggest(folderFile, 'extraDestinations', {
                ...(destination.server !== undefined ? { server: destination.server } : { name: destination.name ?? '' }),
                namespace: o.metadata.namespace,
              });
          }
        }

        const key = `${group}/${o.kind}/${namespace}/${o.metadata.name}`;
        const owner = owners.get(key);
        if (owner === undefined) owners.set(key, appId(rendered));
        else if (owner !== appId(rendered))
          find('duplicate', resource, `also managed by ${owner} on this cluster; Argo CD would have the two Applications fight over it`);

        if (cluster.kubernetesVersion) {
          const removed = findRemovedApi(o.apiVersion, o.kind, cluster.kubernetesVersion);
          if (removed)
            find(
              'removed-api',
              resource,
              `${o.apiVersion} ${o.kind} is not served since Kubernetes ${removed.removedIn} ` +
                `(the cluster runs ${cluster.kubernetesVersion}); use ${removed.replacement}`,
            );
        }

        if (!BUILT_IN_GROUPS.has(group) && !declaredApis.has(o.apiVersion) && !declaredApis.has(`${o.apiVersion}/${o.kind}`)) {
          const earlier = crd?.installers.some((i) => i.wave <= wave);
          if (!earlier) {
            const later = crd?.installers.map((i) => `${i.app} (wave ${i.wave})`).join(', ');
            find(
              'crd',
              resource,
              later
                ? `the CRD of ${groupKind} is installed by ${later}, after this app's wave ${wave}: set syncWave or dependsOn so it comes first`
                : `no Application on this cluster installs the CRD of ${groupKind}, ` +
                    `and ${cluster.yaml?.file ?? `clusters/${clusterName}.yaml`} does not declare it (crds:)`,
            );
          }
        }
      }
    }
  }
  return { findings, suggestions: [...suggestions.values()], notes: [...new Set(notes)] };
}
