/**
 * The platform repo an import writes, as files (repo-relative path to data),
 * and what the report says about how it got there.
 */
import { isDeepStrictEqual } from 'node:util';
import { GitopsError, type Problem } from '../core/errors.js';
import { isPlainObject } from '../core/layering/merge.js';
import type { AppKeys } from '../core/model.js';
import { FINALIZER } from '../core/argo-labels.js';
import { convertApplication, DEFAULT_SYNC_POLICY, type Converted } from './convert-application.js';
import { destinationKey, detectClusters, type ImportedCluster } from './detect-clusters.js';
import { baseName, mergeMembers, nameGroups, type Group } from './group-apps.js';
import type { ImportInput, SourceObject } from './read-sources.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// Set by the API server on every Namespace: not the user's.
const NAMESPACE_LABEL = 'kubernetes.io/metadata.name';
const PROJECT_KEYS = [
  'description',
  'sourceRepos',
  'destinations',
  'clusterResourceWhitelist',
  'clusterResourceBlacklist',
  'namespaceResourceWhitelist',
  'namespaceResourceBlacklist',
];

export interface ImportPlan {
  /** Repo-relative path to the data of the file. */
  files: Map<string, unknown>;
  clusters: ImportedCluster[];
  /** Full Application files and why each could not be an app file. */
  fullApplications: { file: string; reasons: string[] }[];
  /** What was converted or dropped, one line each. */
  notes: string[];
  /** Applications that had no resources finalizer. */
  withoutFinalizer: string[];
  /** The labels and annotations each folder takes from a Namespace object, for verify. */
  namespaceMetadata: Map<string, Record<string, unknown>>;
}

export interface PlanOptions {
  adoptDefaults?: boolean;
}

function metaOf(object: Record<string, unknown>): {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
} {
  return (object.metadata ?? {}) as ReturnType<typeof metaOf>;
}

/** Every string with `{{` written so that templates give it back as it was. */
function escapeTemplates<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('{{', '\\{{') as T;
  if (Array.isArray(value)) return value.map(escapeTemplates) as T;
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeTemplates(v)])) as T;
  return value;
}

function mostCommon(values: readonly string[], fallback: string): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = fallback;
  let n = 0;
  for (const [v, c] of counts) if (c > n || (c === n && v < best)) [best, n] = [v, c];
  return best;
}

/** The Namespace metadata render sends: sorted labels and annotations, when there are any. */
function managedMetadata(labels: Record<string, string>, annotations: Record<string, string>): Record<string, unknown> | undefined {
  const sort = (r: Record<string, string>) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)));
  const out: Record<string, unknown> = {};
  if (Object.keys(labels).length > 0) out.labels = sort(labels);
  if (Object.keys(annotations).length > 0) out.annotations = sort(annotations);
  return Object.keys(out).length > 0 ? out : undefined;
}

/** An Application to import, with the folder and cluster it goes to. */
interface PlacedApp {
  source: SourceObject;
  namespace: string;
  cluster: ImportedCluster;
}

type FolderYaml = Map<string, Record<string, unknown>>;

/** The Applications with the folder and cluster each goes to; throws for names and namespaces an import cannot keep. */
function placeApplications(input: ImportInput, clusters: Map<string, ImportedCluster>): PlacedApp[] {
  const problems: Problem[] = [];
  const apps: PlacedApp[] = [];
  const names = new Map<string, string>();
  for (const source of input.applications) {
    const meta = metaOf(source.object);
    const destination = ((source.object.spec as Record<string, unknown> | undefined)?.destination ?? {}) as { namespace?: string };
    if (typeof meta.name !== 'string' || meta.name === '')
      problems.push({ code: 'GK_INVALID_VALUE', file: source.origin, field: 'metadata.name', message: 'an Application needs a name' });
    const other = names.get(`${meta.namespace ?? ''}/${meta.name}`);
    if (other)
      problems.push({ code: 'GK_NAME_COLLISION', file: source.origin, field: 'metadata.name', message: `Application ${meta.name} is also in ${other}` });
    names.set(`${meta.namespace ?? ''}/${meta.name}`, source.origin);
    const namespace = destination.namespace;
    if (typeof namespace !== 'string' || !DNS_LABEL.test(namespace) || namespace.length > 63) {
      const quoted = JSON.stringify(namespace ?? null);
      problems.push({
        code: 'GK_INVALID_VALUE',
        file: source.origin,
        field: 'spec.destination.namespace',
        message: `${quoted} cannot be a namespace folder: gitops-k8s deploys every app into its folder's namespace, a DNS-1123 label`,
      });
      continue;
    }
    apps.push({
      source,
      namespace,
      cluster: clusters.get(destinationKey(((source.object.spec as Record<string, unknown>).destination ?? {}) as { server?: string; name?: string }))!,
    });
  }
  if (apps.length === 0 && problems.length === 0) problems.push({ code: 'GK_NO_APPS', message: 'the input holds no Application; nothing to import' });
  if (problems.length > 0) throw new GitopsError(problems);
  return apps;
}

/** The labels and annotations of a namespace.yaml, each only when there are any. */
function folderMetadata(labels: Record<string, string>, annotations: Record<string, string>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  if (Object.keys(labels).length > 0) data.labels = labels;
  if (Object.keys(annotations).length > 0) data.annotations = annotations;
  return data;
}

/**
 * Each folder's namespace.yaml so far: a Namespace object's labels and
 * annotations, or else the managedNamespaceMetadata its Applications agree on.
 */
function readNamespaces(input: ImportInput, apps: readonly PlacedApp[], folders: readonly string[], notes: string[]) {
  const namespaceYaml: FolderYaml = new Map();
  const namespaceMetadata = new Map<string, Record<string, unknown>>();
  for (const { object, origin } of input.namespaces) {
    const meta = metaOf(object);
    if (!meta.name || !folders.includes(meta.name)) {
      notes.push(`dropped Namespace ${meta.name} (${origin}): no Application deploys to it`);
      continue;
    }
    const labels = { ...(meta.labels ?? {}) };
    delete labels[NAMESPACE_LABEL];
    const annotations = { ...(meta.annotations ?? {}) };
    namespaceYaml.set(meta.name, folderMetadata(labels, annotations));
    const managed = managedMetadata(labels, annotations);
    if (managed) namespaceMetadata.set(meta.name, managed);
    notes.push(
      `Namespace ${meta.name}: its labels and annotations went to apps/${meta.name}/namespace.yaml; ` +
        'gitops-k8s sets them through CreateNamespace=true (syncPolicy.managedNamespaceMetadata), it does not create Namespace objects',
    );
  }
  for (const folder of folders) {
    if (namespaceYaml.has(folder)) continue;
    const found = apps
      .filter((a) => a.namespace === folder)
      .map((a) => ((a.source.object.spec as Record<string, unknown>).syncPolicy as Record<string, unknown> | undefined)?.managedNamespaceMetadata);
    const first = found[0];
    if (isPlainObject(first) && found.every((m) => isDeepStrictEqual(m, first))) {
      namespaceYaml.set(folder, folderMetadata((first.labels ?? {}) as Record<string, string>, (first.annotations ?? {}) as Record<string, string>));
    }
  }
  return { namespaceYaml, namespaceMetadata };
}

/**
 * AppProjects: each becomes the project of the folder with most of its
 * Applications, in that folder's namespace.yaml. Returns project name to
 * owning folder.
 */
function placeProjects(input: ImportInput, apps: readonly PlacedApp[], folders: readonly string[], namespaceYaml: FolderYaml, notes: string[]) {
  const projectObjects = new Map(input.projects.map((p) => [metaOf(p.object).name ?? '', p]));
  const owners = new Map<string, string>();
  const owned = new Set<string>();
  const usage = [...new Set(apps.map((a) => String((a.source.object.spec as Record<string, unknown>).project ?? 'default')))].sort();
  for (const project of usage) {
    const object = projectObjects.get(project);
    if (!object || !DNS_LABEL.test(project)) continue;
    const counts = folders
      .filter((f) => !owned.has(f))
      .map((f) => ({ f, n: apps.filter((a) => a.namespace === f && (a.source.object.spec as Record<string, unknown>).project === project).length }))
      .filter((c) => c.n > 0);
    counts.sort((a, b) => b.n - a.n || (a.f < b.f ? -1 : 1));
    const owner = counts[0]?.f;
    if (!owner) {
      notes.push(
        `AppProject ${project} (${object.origin}) not imported: ` +
          `each folder owns one project and its folders already own one; its apps keep project: ${project}`,
      );
      continue;
    }
    owners.set(project, owner);
    owned.add(owner);
    const spec = (object.object.spec ?? {}) as Record<string, unknown>;
    const block: Record<string, unknown> = { name: project };
    for (const key of PROJECT_KEYS) {
      if (spec[key] === undefined) continue;
      block[key === 'destinations' ? 'extraDestinations' : key] = spec[key];
    }
    const dropped = Object.keys(spec).filter((k) => !PROJECT_KEYS.includes(k));
    if (dropped.length > 0) notes.push(`AppProject ${project}: dropped ${dropped.map((k) => `spec.${k}`).join(', ')} (namespace.yaml project has no such key)`);
    notes.push(`AppProject ${project} became the project of apps/${owner}/namespace.yaml (its destinations as extraDestinations)`);
    namespaceYaml.set(owner, { ...(namespaceYaml.get(owner) ?? {}), project: block });
  }
  for (const [name, object] of projectObjects) if (!usage.includes(name)) notes.push(`dropped AppProject ${name} (${object.origin}): no Application uses it`);
  return owners;
}

/** Each Application as app keys (or a full file), then grouped per app across clusters. */
function convertApps(apps: readonly PlacedApp[], namespaceYaml: FolderYaml, owners: Map<string, string>, options: PlanOptions, notes: string[]) {
  const converted = new Map<SourceObject, Converted>();
  const groups = new Map<string, Group>();
  const withoutFinalizer: string[] = [];
  for (const app of apps) {
    const meta = metaOf(app.source.object);
    const folderMeta = namespaceYaml.get(app.namespace) as { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined;
    const result = convertApplication(app.source.object, {
      syncBase: options.adoptDefaults ? DEFAULT_SYNC_POLICY : undefined,
      namespaceMetadata: managedMetadata(folderMeta?.labels ?? {}, folderMeta?.annotations ?? {}),
      adoptDefaults: options.adoptDefaults ?? false,
    });
    if (result.kind === 'spec' && owners.get(result.keys.project ?? '') === app.namespace) delete result.keys.project;
    converted.set(app.source, result);
    for (const note of result.notes) notes.push(`${meta.name}: ${note}`);
    if (!(meta.finalizers ?? []).includes(FINALIZER)) withoutFinalizer.push(meta.name!);
    const kind = result.kind === 'spec' ? result.sourceKind : 'full';
    const base = baseName(meta.name!, app.cluster.name);
    let key = `${app.namespace}\u0000${kind}\u0000${base}`;
    // One Application per cluster in an app: a second one on the same cluster is an app of its own.
    if (groups.get(key)?.members.some((m) => m.cluster === app.cluster.name)) key = `${app.namespace}\u0000${kind}\u0000${meta.name}\u0000own`;
    const group = groups.get(key) ?? { namespace: app.namespace, kind, base: key.endsWith('\u0000own') ? meta.name! : base, members: [] };
    group.members.push({ name: meta.name!, cluster: app.cluster.name, origin: app.source.origin });
    groups.set(key, group);
  }
  return { converted, groups, withoutFinalizer };
}

/** A full Application file: the object without its name, namespace and destination (the platform repo gives those). */
function fullFileOf(source: SourceObject): Record<string, unknown> {
  const { metadata: _m, spec, ...rest } = source.object;
  const meta = metaOf(source.object);
  const { destination: _d, ...specRest } = (spec ?? {}) as Record<string, unknown>;
  const metadata: Record<string, unknown> = {};
  if (meta.labels) metadata.labels = meta.labels;
  if (meta.annotations) metadata.annotations = meta.annotations;
  if (meta.finalizers) metadata.finalizers = meta.finalizers;
  return { ...rest, metadata, spec: specRest };
}

type SourceOf = (group: Group, cluster: string) => SourceObject;

/** Full Applications fan out one file to all their clusters: only identical ones share a file. Sorted by folder and name. */
function splitUnequalFullApps(groups: Iterable<Group>, sourceOf: SourceOf): Group[] {
  const finalGroups: Group[] = [];
  for (const group of groups) {
    if (group.kind === 'full' && group.members.length > 1) {
      const first = fullFileOf(sourceOf(group, group.members[0]!.cluster));
      if (!group.members.every((m) => isDeepStrictEqual(fullFileOf(sourceOf(group, m.cluster)), first))) {
        for (const m of group.members) finalGroups.push({ namespace: group.namespace, kind: 'full', base: m.name, members: [m] });
        continue;
      }
    }
    finalGroups.push(group);
  }
  return finalGroups.sort((a, b) => (`${a.namespace}/${a.base}` < `${b.namespace}/${b.base}` ? -1 : 1));
}

interface AppFileContext {
  converted: Map<SourceObject, Converted>;
  sourceOf: SourceOf;
  allClusters: string[];
  options: PlanOptions;
}

/** The app file of a group: a full Application file with its `gitops-k8s:` block, or the app keys its members share. */
function appFileOf(group: Group, context: AppFileContext): { data: unknown; reasons?: string[] } {
  const groupClusters = group.members.map((m) => m.cluster).sort();
  const selection = isDeepStrictEqual(groupClusters, context.allClusters) ? undefined : groupClusters;
  if (group.kind === 'full') {
    const source = context.sourceOf(group, group.members[0]!.cluster);
    const result = context.converted.get(source) as Extract<Converted, { kind: 'full' }>;
    const meta = metaOf(source.object);
    const block: Record<string, unknown> = {};
    if (selection) block.clusters = selection;
    if (group.namePattern) block.name = group.namePattern;
    else if (group.literalNames) block.name = group.literalNames.values().next().value;
    if (!(meta.finalizers ?? []).includes(FINALIZER) && !context.options.adoptDefaults) block.finalizer = false;
    const data = escapeTemplates(fullFileOf(source));
    return { data: Object.keys(block).length > 0 ? { ...data, 'gitops-k8s': block } : data, reasons: result.reasons };
  }
  const byCluster = new Map<string, AppKeys>();
  for (const m of group.members) {
    const keys = escapeTemplates((context.converted.get(context.sourceOf(group, m.cluster)) as Extract<Converted, { kind: 'spec' }>).keys);
    if (group.literalNames) keys.name = group.literalNames.get(m.cluster)!;
    byCluster.set(m.cluster, keys);
  }
  const keys = mergeMembers(byCluster);
  const ordered: Record<string, unknown> = {};
  if (group.namePattern) ordered.name = group.namePattern;
  if (selection) ordered.clusters = selection;
  return { data: { ...ordered, ...keys } };
}

/** gitops.yaml, the cluster files and the namespace.yaml files. */
function writeRepoFiles(
  files: Map<string, unknown>,
  pattern: string,
  argocdNamespace: string,
  clusters: Map<string, ImportedCluster>,
  namespaceYaml: FolderYaml,
  options: PlanOptions,
): void {
  const settings: Record<string, unknown> = {};
  if (argocdNamespace !== 'argocd') settings.argocdNamespace = argocdNamespace;
  settings.naming = { application: pattern };
  // Sync policies are kept as they were: no default under them (gitops-k8s' would make manual apps automated).
  if (!options.adoptDefaults) settings.defaults = { syncPolicy: null };
  files.set('gitops.yaml', settings);
  for (const cluster of clusters.values()) {
    files.set(
      `clusters/${cluster.name}.yaml`,
      cluster.destinationName !== undefined
        ? { provider: cluster.provider, name: cluster.destinationName }
        : { provider: cluster.provider, server: cluster.server },
    );
  }
  for (const [folder, data] of namespaceYaml) if (Object.keys(data).length > 0) files.set(`apps/${folder}/namespace.yaml`, data);
}

export function planRepo(input: ImportInput, options: PlanOptions = {}): ImportPlan {
  const notes: string[] = [];
  const files = new Map<string, unknown>();
  const clusters = detectClusters(input.applications);
  const apps = placeApplications(input, clusters);
  const argocdNamespace = mostCommon(
    apps.map((a) => metaOf(a.source.object).namespace ?? 'argocd'),
    'argocd',
  );
  const folders = [...new Set(apps.map((a) => a.namespace))].sort();
  const { namespaceYaml, namespaceMetadata } = readNamespaces(input, apps, folders, notes);
  const owners = placeProjects(input, apps, folders, namespaceYaml, notes);
  for (const { object, origin } of input.ignored)
    notes.push(`ignored ${String(object.kind)} ${metaOf(object).name ?? ''} (${origin}): import reads Applications, AppProjects and Namespaces`);

  const { converted, groups, withoutFinalizer } = convertApps(apps, namespaceYaml, owners, options, notes);
  const bySource = new Map(apps.map((a) => [`${a.cluster.name}\u0000${metaOf(a.source.object).name}`, a.source]));
  const sourceOf: SourceOf = (group, cluster) => bySource.get(`${cluster}\u0000${group.members.find((m) => m.cluster === cluster)!.name}`)!;
  const finalGroups = splitUnequalFullApps(groups.values(), sourceOf);
  const pattern = nameGroups(finalGroups);
  const context: AppFileContext = { converted, sourceOf, allClusters: [...clusters.values()].map((c) => c.name).sort(), options };
  const fullApplications: ImportPlan['fullApplications'] = [];
  for (const group of finalGroups) {
    const file = `apps/${group.namespace}/${group.app}.yaml`;
    const { data, reasons } = appFileOf(group, context);
    files.set(file, data);
    if (reasons) fullApplications.push({ file, reasons });
  }

  writeRepoFiles(files, pattern, argocdNamespace, clusters, namespaceYaml, options);
  const others = apps.filter((a) => (metaOf(a.source.object).namespace ?? 'argocd') !== argocdNamespace);
  for (const a of others)
    notes.push(
      `${metaOf(a.source.object).name}: was in namespace ${metaOf(a.source.object).namespace}; all Applications now go to ${argocdNamespace} (argocdNamespace)`,
    );
  return { files, clusters: [...clusters.values()], fullApplications, notes, withoutFinalizer, namespaceMetadata };
}
