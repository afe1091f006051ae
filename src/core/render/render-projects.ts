import { GitopsError, type Problem } from '../errors.js';
import type { PlatformRepo } from '../model.js';
import { FINALIZER, LABEL_PREFIX, MANAGED_BY, MANAGER } from '../argo-labels.js';
import { createTemplateCache, type TemplateCache } from '../template/template.js';
import { projectName, type RenderedApp } from './render-applications.js';

const OWN_PROJECT = 'give each namespace folder its own project (project.name in namespace.yaml or naming.project in gitops.yaml)';

export type AppProject = {
  apiVersion: 'argoproj.io/v1alpha1';
  kind: 'AppProject';
  metadata: { name: string; namespace: string; labels: Record<string, string>; finalizers: string[] };
  spec: Record<string, unknown>;
};

function destinationKey(d: { server?: string; name?: string; namespace?: string }): string {
  return `${d.server ?? ''}\u0000${d.name ?? ''}\u0000${d.namespace ?? ''}`;
}

function addSourceRepos(rendered: RenderedApp, repos: Set<string>): void {
  const spec = rendered.application.spec as { source?: { repoURL?: string }; sources?: { repoURL?: string }[] };
  if (spec.source?.repoURL) repos.add(spec.source.repoURL);
  for (const s of spec.sources ?? []) if (s?.repoURL) repos.add(s.repoURL);
}

// Code-unit order, as Application names are sorted: the same on every machine and locale, and no ICU
// collator to load (about 10 ms of every `generate`, which Argo CD runs on each refresh).
function sortedByKey<T>(items: Iterable<T>, keyOf: (item: T) => string): T[] {
  return [...items]
    .map((item) => ({ item, key: keyOf(item) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((e) => e.item);
}

/**
 * One AppProject per namespace folder, permitting exactly what its apps need:
 * their source repositories and their (cluster, namespace) destinations. It
 * is computed from every Application of the repo, so that filters never
 * change it (two root apps narrowed to different clusters agree on it).
 * `templates` is the render's (see RenderCache), for `naming.project`.
 */
export function renderProjects(repo: PlatformRepo, rendered: readonly RenderedApp[], templates: TemplateCache = createTemplateCache()): AppProject[] {
  const projects: AppProject[] = [];
  const owners = new Map<string, string>();
  const problems: Problem[] = [];
  // By project, whatever folder the app is in: an app that names another folder's project (`project:`) needs its destinations and repos permitted there.
  const byProject = new Map<unknown, RenderedApp[]>();
  for (const r of rendered) {
    const list = byProject.get(r.application.spec.project);
    if (list) list.push(r);
    else byProject.set(r.application.spec.project, [r]);
  }
  for (const ns of repo.namespaces) {
    const name = projectName(repo, ns, templates);
    const own = byProject.get(name) ?? [];
    if (own.length === 0) continue;
    // One AppProject per folder: two folders with one project name would emit the object twice.
    const owner = owners.get(name);
    if (owner !== undefined) {
      problems.push({
        code: 'GK_NAME_COLLISION',
        file: ns.yaml?.file ?? ns.dir,
        line: ns.yaml?.lineOf(['project', 'name']),
        field: ns.project.name ? 'project.name' : undefined,
        message: `AppProject name ${JSON.stringify(name)} is also the project of ${owner}/; ${OWN_PROJECT}`,
      });
      continue;
    }
    owners.set(name, ns.dir);
    const repos = new Set<string>(ns.project.sourceRepos ?? []);
    const destinations = new Map<string, { server?: string; name?: string; namespace: string }>();
    // Applications share their destination objects: each distinct one is keyed once, the last one seen winning as before.
    const seen = new Set<unknown>();
    for (let i = own.length - 1; i >= 0; i--) {
      const r = own[i]!;
      addSourceRepos(r, repos);
      seen.add(r.application.spec.destination);
    }
    for (const d of [...seen].reverse() as { server?: string; name?: string; namespace: string }[]) destinations.set(destinationKey(d), d);
    for (const d of ns.project.extraDestinations ?? []) {
      const full = { ...d, namespace: d.namespace ?? ns.name };
      destinations.set(destinationKey(full), full);
    }
    // CreateNamespace=true needs the project to permit the Namespace; Argo CD
    // >= 3.x matches `name`, so the project may create its own namespace only.
    // An app of another folder that names this project brings its own namespace along.
    const foreign = new Set<string>();
    for (const r of own)
      if (r.namespace !== ns) foreign.add(String((r.application.spec.destination as { namespace?: string } | undefined)?.namespace ?? r.namespace.name));
    const whitelist: { group: string; kind: string; name?: string }[] = [
      { group: '', kind: 'Namespace', name: ns.name },
      ...[...foreign].map((name) => ({ group: '', kind: 'Namespace', name })),
      ...(ns.project.clusterResourceWhitelist ?? []),
    ];
    const key = (w: { group: string; kind: string; name?: string }): string => `${w.group}/${w.kind}/${w.name ?? ''}`;
    const uniqueWhitelist = sortedByKey(new Map(whitelist.map((w) => [key(w), w])).values(), key);
    const spec: Record<string, unknown> = {
      description: ns.project.description ?? `Apps of namespace ${ns.name}, generated by gitops-k8s from ${ns.dir}/`,
      sourceRepos: [...repos].sort(),
      destinations: sortedByKey(destinations.values(), destinationKey),
      clusterResourceWhitelist: uniqueWhitelist,
    };
    if (ns.project.clusterResourceBlacklist) spec.clusterResourceBlacklist = ns.project.clusterResourceBlacklist;
    if (ns.project.namespaceResourceWhitelist) spec.namespaceResourceWhitelist = ns.project.namespaceResourceWhitelist;
    if (ns.project.namespaceResourceBlacklist) spec.namespaceResourceBlacklist = ns.project.namespaceResourceBlacklist;
    projects.push({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: {
        name,
        namespace: repo.settings.argocdNamespace,
        labels: { [MANAGED_BY]: MANAGER, [`${LABEL_PREFIX}namespace`]: ns.name },
        finalizers: [FINALIZER],
      },
      spec,
    });
  }
  if (problems.length > 0) throw new GitopsError(problems);
  return projects.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}
