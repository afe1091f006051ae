import { checkApplicationFile, keysOfApplication, misplacedObjectMessage, namespaceObjectProblem } from './check-application-file.js';
import { checkClusterDestinations } from './check-cluster-destinations.js';
import { checkAppFolder, checkValueFiles } from './check-app-folder.js';
import { checkEmptySelections } from './explain-empty-selection.js';
import { entryNameProblem } from './check-entry-names.js';
import { checkPlainData } from './check-plain-data.js';
import { didYouMean, providerAliases } from '../did-you-mean.js';
import { checkAppEnvironments, checkSelectorEnvironments, collectEnvironments, readEnvironmentFiles, referableEnvironments } from './environments.js';
import { GitopsError, type Problem } from '../errors.js';
import { isPlainObject, mergeLayer } from '../layering/merge.js';
import type { AppDefinition, AppKeys, Cluster, NamespaceFolder, PlatformRepo, Provider, Settings } from '../model.js';
import type { ParseCache } from '../yaml/parse-cache.js';
import { defaultYamlLimits, parseYamlFile, type YamlFile, type YamlLimits } from '../yaml/parse-yaml.js';
import { providerPresets } from './presets.js';
import { normalizeRepoPath, type RepoFiles } from '../../sources/repo-files.js';
import { checkRollout } from '../render/rollout.js';
import { computeSyncWaves } from '../render/sync-waves.js';
import { defaultTemplateLimits, templateLimitCeiling, type TemplateLimits } from '../template/template.js';
import { fieldOf, validateAgainst, type SchemaName } from '../schema/validate.js';

/** Options of {@link loadPlatformRepo}. */
export interface LoadOptions {
  /** The platform repo's own URL, when gitops.yaml does not give it (CMP, server). */
  repoURL?: string;
  /** The platform repo's revision, when gitops.yaml does not give it. */
  targetRevision?: string;
  /** The Argo CD namespace, when gitops.yaml does not give it. */
  argocdNamespace?: string;
  /** Per-file limits. */
  limits?: YamlLimits;
  /** Most YAML files read from one repo. Default 20,000. */
  maxFiles?: number;
  /** Parses kept from earlier loads, used for files whose RepoFiles gives a content id (git blobs). */
  parseCache?: ParseCache;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// SemVer 2 MAJOR.MINOR.PATCH with optional pre-release and build: anything else is a range to Argo CD.
const EXACT_VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
// What gitops.yaml may raise its limits to: a repo must not lift the guard against itself without end.
const LIMIT_CEILING = { maxFileBytes: 64 * 1024 * 1024, maxFiles: 500_000 };
const YAML_FILE = /^(.+)\.ya?ml$/;
const FOLDER_SOURCE_MARKERS = ['Chart.yaml', 'kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const IN_CLUSTER: Omit<Cluster, 'yaml'> = {
  name: 'in-cluster',
  provider: 'generic',
  server: 'https://kubernetes.default.svc',
  labels: {},
  vars: {},
  defaults: {},
};

function isApplication(data: unknown): data is Record<string, unknown> {
  return isPlainObject(data) && typeof data.apiVersion === 'string' && data.apiVersion.startsWith('argoproj.io/') && data.kind === 'Application';
}

/**
 * Reads and validates a whole platform repo. Every problem in every file is
 * collected and thrown once as a {@link GitopsError}; nothing is returned
 * from a repo with a problem, so a broken definition can never make the
 * output shorter.
 */
export function loadPlatformRepo(repo: RepoFiles, options: LoadOptions = {}): PlatformRepo {
  const { platform, problems } = inspectPlatformRepo(repo, options);
  if (problems.length > 0) throw new GitopsError(problems);
  return platform;
}

/**
 * Reads a platform repo and returns every problem with the part of the model
 * that is sound (apps, clusters or files with a problem left out). Only `lint`
 * uses the partial model, to report render problems in the same pass; never
 * render output from it.
 */
export function inspectPlatformRepo(repo: RepoFiles, options: LoadOptions = {}): { platform: PlatformRepo; problems: Problem[] } {
  const problems: Problem[] = [];
  let filesRead = 0;
  let maxFiles = options.maxFiles ?? 20_000;
  let limits: YamlLimits = { ...options.limits };

  const readYaml = (file: string): YamlFile | undefined => {
    if (++filesRead > maxFiles) {
      if (filesRead === maxFiles + 1) {
        problems.push({
          code: 'GK_REPO_TOO_LARGE',
          file,
          message: `more than ${maxFiles} YAML files; raise limits.maxFiles in gitops.yaml if this is intended`,
        });
      }
      return undefined;
    }
    try {
      const read = (): Buffer => repo.read(file, limits.maxFileBytes ?? defaultYamlLimits.maxFileBytes);
      const id = options.parseCache && repo.contentId?.(file);
      const yaml = id ? options.parseCache!.parse(id, file, limits, read) : parseYamlFile(file, read(), limits);
      const unsafe = checkPlainData(yaml);
      if (unsafe.length === 0) return yaml;
      problems.push(...unsafe);
      return undefined;
    } catch (error) {
      if (error instanceof GitopsError) {
        problems.push(...error.problems);
        return undefined;
      }
      throw error;
    }
  };
  const guard = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (error) {
      if (error instanceof GitopsError) {
        problems.push(...error.problems);
        return undefined;
      }
      throw error;
    }
  };
  const checkMap = (yaml: YamlFile, schema: SchemaName, what: string): Record<string, unknown> | undefined => {
    const data = yaml.data ?? {};
    if (!isPlainObject(data)) {
      problems.push({ code: 'GK_INVALID_VALUE', file: yaml.file, line: yaml.lineOf([]), message: `must be a map of ${what} keys` });
      return undefined;
    }
    const found = validateAgainst(schema, yaml, data);
    problems.push(...found);
    return found.length === 0 ? data : undefined;
  };
  const yamlEntries = (dir: string): { base: string; file: string }[] => {
    const entries = guard(() => repo.list(dir)) ?? [];
    const out: { base: string; file: string }[] = [];
    const seen = new Map<string, string>();
    for (const entry of entries) {
      const wrong = entryNameProblem(dir, entry.name, entry.type, 'yaml');
      if (wrong) problems.push(wrong);
      const m = YAML_FILE.exec(entry.name);
      if (wrong || entry.type !== 'file' || !m || entry.name.startsWith('.')) continue;
      const file = `${dir}/${entry.name}`;
      const other = seen.get(m[1]!);
      if (other) {
        problems.push({ code: 'GK_NAME_COLLISION', file, message: `${other} defines the same name; keep one of them` });
        continue;
      }
      seen.set(m[1]!, file);
      out.push({ base: m[1]!, file });
    }
    return out;
  };

  // gitops.yaml
  const settings: Settings = {
    targetRevision: options.targetRevision ?? 'HEAD',
    argocdNamespace: options.argocdNamespace ?? 'argocd',
    repoURL: options.repoURL,
    naming: { application: '{{namespace}}-{{app}}-{{cluster.name}}', project: '{{namespace}}' },
    vars: {},
    defaults: {},
    templateLimits: defaultTemplateLimits,
  };
  const settingsName =
    guard(() => repo.kind('gitops.yaml')) === 'file' ? 'gitops.yaml' : guard(() => repo.kind('gitops.yml')) === 'file' ? 'gitops.yml' : undefined;
  if (settingsName) {
    const yaml = readYaml(settingsName);
    const data = yaml && checkMap(yaml, 'settings', 'gitops.yaml');
    if (yaml && data) {
      const d = data as Partial<Settings> & { limits?: { maxFileBytes?: number; maxFiles?: number } & Partial<TemplateLimits> };
      for (const key of Object.keys(templateLimitCeiling) as (keyof TemplateLimits)[]) {
        const wanted = d.limits?.[key];
        if (wanted !== undefined) settings.templateLimits = { ...settings.templateLimits, [key]: Math.min(wanted, templateLimitCeiling[key]) };
      }
      if (d.limits?.maxFileBytes !== undefined) limits = { ...limits, maxFileBytes: Math.min(d.limits.maxFileBytes, LIMIT_CEILING.maxFileBytes) };
      if (d.limits?.maxFiles !== undefined) maxFiles = Math.min(d.limits.maxFiles, LIMIT_CEILING.maxFiles);
      settings.yaml = yaml;
      settings.repoURL = d.repoURL ?? settings.repoURL;
      settings.targetRevision = d.targetRevision ?? settings.targetRevision;
      if (d.path !== undefined) {
        try {
          const normal = normalizeRepoPath(d.path, { file: yaml.file, field: 'path' });
          settings.path = normal === '.' ? undefined : normal;
        } catch (error) {
          if (!(error instanceof GitopsError)) throw error;
          problems.push(...error.problems.map((problem) => ({ ...problem, line: yaml.lineOf(['path']) })));
        }
      }
      settings.argocdNamespace = d.argocdNamespace ?? settings.argocdNamespace;
      settings.argocdURL = d.argocdURL;
      settings.naming = { ...settings.naming, ...(d.naming ?? {}) };
      settings.externalProjects = d.externalProjects;
      settings.vars = d.vars ?? {};
      settings.defaults = d.defaults ?? {};
      settings.rollout = d.rollout;
    }
  }

  // providers
  const providers = new Map<string, Provider>();
  for (const [name, preset] of Object.entries(providerPresets)) {
    providers.set(name, { name, values: { ...preset, name }, builtIn: true });
  }
  // Provider files with a problem of their own: clusters and apps naming them are not also "unknown provider".
  const brokenProviders = new Set<string>();
  for (const { base, file } of yamlEntries('providers')) {
    brokenProviders.add(base);
    const yaml = readYaml(file);
    if (!yaml) continue;
    if (!DNS_LABEL.test(base)) {
      problems.push({
        code: 'GK_INVALID_NAME',
        file,
        message: `provider name ${JSON.stringify(base)} must be a DNS-1123 label (lower case letters, digits and -)`,
      });
      continue;
    }
    const data = checkMap(yaml, 'provider', 'provider');
    if (!data) continue;
    brokenProviders.delete(base);
    const { defaults, ...values } = data as Record<string, unknown> & { defaults?: AppKeys };
    // A new provider starts from the generic preset, so that every `{{provider.<key>}}` an app uses exists on every provider.
    const preset = providers.get(base) ?? providers.get('generic');
    providers.set(base, {
      name: base,
      values: { ...(mergeLayer(preset?.values ?? {}, values) as Record<string, unknown>), name: base },
      builtIn: providers.get(base)?.builtIn ?? false,
      defaults,
      yaml,
    });
  }

  const environmentFiles = readEnvironmentFiles({ yamlEntries, readYaml, checkMap }, problems);

  // clusters
  const clusters: Cluster[] = [];
  // Cluster files with a problem of their own: apps naming them are not also "unknown cluster".
  const brokenClusters = new Set<string>();
  const clusterListing = guard(() => repo.kind('clusters'));
  const implicitCluster = clusterListing !== 'dir';
  if (implicitCluster) {
    clusters.push({ ...IN_CLUSTER });
  } else {
    const clusterFiles = yamlEntries('clusters');
    if (clusterFiles.length === 0) {
      problems.push({
        code: 'GK_NOT_FOUND',
        file: 'clusters',
        message: 'holds no clusters/<name>.yaml; add one, or remove the folder to deploy to the in-cluster cluster',
      });
    }
    for (const { base, file } of clusterFiles) {
      brokenClusters.add(base);
      const yaml = readYaml(file);
      if (!yaml) continue;
      if (!DNS_LABEL.test(base) || base.length > 63) {
        problems.push({
          code: 'GK_INVALID_NAME',
          file,
          message: `cluster name ${JSON.stringify(base)} (from the file name) must be a DNS-1123 label of at most 63 characters`,
        });
        continue;
      }
      const data = checkMap(yaml, 'cluster', 'cluster');
      if (!data) continue;
      const d = data as {
        provider: string;
        environment?: string;
        server?: string;
        name?: string;
        labels?: Record<string, string>;
        vars?: Record<string, unknown>;
        defaults?: AppKeys;
      } & Pick<Cluster, 'kubernetesVersion' | 'apiVersions' | 'crds'>;
      if (brokenProviders.has(d.provider)) continue;
      if (!providers.has(d.provider)) {
        problems.push({
          code: 'GK_UNKNOWN_PROVIDER',
          file,
          line: yaml.lineOf(['provider']),
          field: 'provider',
          message: `unknown provider ${JSON.stringify(d.provider)}${didYouMean(d.provider, providers.keys(), providerAliases)}; known: ${[...providers.keys()].sort().join(', ')} (or add providers/${d.provider}.yaml)`,
        });
        continue;
      }
      clusters.push({
        name: base,
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
      });
      brokenClusters.delete(base);
    }
    checkClusterDestinations(clusters, problems);
  }
  const clusterNames = new Set(clusters.map((c) => c.name));
  const environments = collectEnvironments(environmentFiles.environments, clusters, providers.keys(), problems);
  const referableEnvironmentNames = referableEnvironments(environments, environmentFiles.broken);
  const referableClusters = new Set([...clusterNames, ...brokenClusters]);
  const referableProviders = new Map(providers);
  for (const name of brokenProviders) if (!referableProviders.has(name)) referableProviders.set(name, { name, values: {}, builtIn: false });
  if (settings.yaml) checkSelector(settings.defaults.clusters, settings.yaml, ['defaults', 'clusters'], referableProviders, referableClusters, problems);
  if (settings.yaml) checkSelectorEnvironments(settings.defaults.clusters, settings.yaml, ['defaults', 'clusters'], referableEnvironmentNames, problems);
  if (settings.yaml && settings.rollout) {
    const check = (selector: AppKeys['clusters'], at: (string | number)[]): void => {
      checkSelector(selector, settings.yaml!, at, referableProviders, referableClusters, problems);
      checkSelectorEnvironments(selector, settings.yaml!, at, referableEnvironmentNames, problems);
    };
    checkRollout(settings.rollout, settings.yaml, clusters, check, problems);
  }
  checkPaths(settings.defaults, settings.yaml, ['defaults'], undefined);

  // A path in the platform repo must be a folder in it; a path elsewhere may not climb out of its repo.
  function checkPaths(keys: AppKeys | undefined, yaml: YamlFile | undefined, at: (string | number)[], repoURL: string | undefined): void {
    if (!keys || !yaml) return;
    const check = (p: string | undefined, where: (string | number)[], external: boolean): void => {
      if (p === undefined || p === null) return;
      // Lines cost a positional parse: only work them out for a problem.
      const locate = (): { file: string; line?: number; field: string } => ({ file: yaml.file, line: yaml.lineOf(where), field: fieldOf(where) });
      let normal: string;
      try {
        normal = normalizeRepoPath(p, { file: yaml.file, field: fieldOf(where) });
      } catch (error) {
        if (error instanceof GitopsError) {
          problems.push(...error.problems.map((problem) => ({ ...problem, ...locate() })));
          return;
        }
        throw error;
      }
      if (external) return;
      let kind: 'file' | 'dir' | undefined;
      try {
        kind = repo.kind(normal);
      } catch (error) {
        if (error instanceof GitopsError) {
          problems.push(
            ...error.problems.map((problem) => ({
              ...problem,
              ...locate(),
              message: `path ${JSON.stringify(p)}: ${problem.file ?? ''} ${problem.message}`.replace(/ {2,}/, ' '),
            })),
          );
          return;
        }
        throw error;
      }
      if (kind !== 'dir') {
        problems.push({
          code: 'GK_NOT_FOUND',
          ...locate(),
          message: `${kind === 'file' ? 'is a file' : 'no such folder'} ${JSON.stringify(normal)} in the platform repo; a path without repoURL is a folder of this repo, relative to its root`,
        });
      }
    };
    check(keys.path, [...at, 'path'], (keys.repoURL ?? repoURL) !== undefined);
    for (const kind of ['providers', 'environments', 'clusters'] as const) {
      for (const [name, override] of Object.entries(keys.overrides?.[kind] ?? {})) {
        check(override.path, [...at, 'overrides', kind, name, 'path'], (override.repoURL ?? keys.repoURL ?? repoURL) !== undefined);
      }
    }
  }

  // apps/<namespace>/
  const namespaces: NamespaceFolder[] = [];
  const namespaceOf = new Map<string, NamespaceFolder>();
  // Apps whose definition has a problem: depending on them is not also an "unknown dependency".
  const brokenApps = new Set<string>();
  const appsListing = guard(() => repo.list('apps'));
  if (appsListing === undefined && !problems.some((p) => p.code === 'GK_PATH_ESCAPE')) {
    problems.push({
      code: 'GK_NOT_FOUND',
      file: 'apps',
      message: `no apps/ folder in ${repo.label}: is this a platform repo? (gitops-k8s init DIR makes one)`,
    });
  }
  for (const nsEntry of appsListing ?? []) {
    const wrongEntry = entryNameProblem('apps', nsEntry.name, nsEntry.type, 'folder');
    if (wrongEntry) problems.push(wrongEntry);
    if (wrongEntry || nsEntry.name.startsWith('.')) continue;
    const dir = `apps/${nsEntry.name}`;
    if (!DNS_LABEL.test(nsEntry.name) || nsEntry.name.length > 63) {
      problems.push({
        code: 'GK_INVALID_NAME',
        file: dir,
        message: `namespace folder ${JSON.stringify(nsEntry.name)} must be a DNS-1123 label of at most 63 characters`,
      });
      continue;
    }
    const ns: NamespaceFolder = { name: nsEntry.name, dir, labels: {}, annotations: {}, vars: {}, defaults: {}, project: {}, apps: [] };
    namespaceOf.set(ns.name, ns);
    const entries = guard(() => repo.list(dir)) ?? [];
    const names = new Map<string, string>();
    const claim = (name: string, source: string): boolean => {
      const other = names.get(name);
      if (other) {
        problems.push({ code: 'GK_NAME_COLLISION', file: source, message: `app ${JSON.stringify(name)} is also defined by ${other}; keep one of them` });
        return false;
      }
      names.set(name, source);
      return true;
    };
    for (const entry of entries) {
      const wrongEntry = entryNameProblem(dir, entry.name, entry.type, 'either');
      if (wrongEntry) problems.push(wrongEntry);
      if (wrongEntry || entry.name.startsWith('.')) continue;
      const path = `${dir}/${entry.name}`;
      if (entry.type === 'file') {
        const m = YAML_FILE.exec(entry.name);
        if (!m) continue;
        if (m[1] === 'namespace') {
          const yaml = readYaml(path);
          const namespaceObject = yaml && namespaceObjectProblem(yaml);
          if (namespaceObject) {
            problems.push(namespaceObject);
            continue;
          }
          const data = yaml && checkMap(yaml, 'namespace', 'namespace.yaml');
          if (yaml && data) {
            const d = data as Partial<NamespaceFolder>;
            Object.assign(ns, {
              labels: d.labels ?? {},
              annotations: d.annotations ?? {},
              vars: d.vars ?? {},
              defaults: d.defaults ?? {},
              project: d.project ?? {},
              yaml,
            });
            checkSelector(ns.defaults.clusters, yaml, ['defaults', 'clusters'], referableProviders, referableClusters, problems);
            checkSelectorEnvironments(ns.defaults.clusters, yaml, ['defaults', 'clusters'], referableEnvironmentNames, problems);
            checkPaths(ns.defaults, yaml, ['defaults'], undefined);
          }
          continue;
        }
        if (!checkAppName(m[1]!, path, problems) || !claim(m[1]!, path)) continue;
        const yaml = readYaml(path);
        if (!yaml) {
          brokenApps.add(`${ns.name}/${m[1]}`);
          continue;
        }
        const app = readDefinition(m[1]!, ns.name, yaml, problems);
        if (app) ns.apps.push(app);
        else brokenApps.add(`${ns.name}/${m[1]}`);
      } else {
        if (!checkAppName(entry.name, path, problems) || !claim(entry.name, path)) continue;
        const app = guard(() => readAppFolder(entry.name, ns.name, path));
        if (app) ns.apps.push(app);
        else brokenApps.add(`${ns.name}/${entry.name}`);
      }
    }
    namespaces.push(ns);
  }

  function readAppFolder(name: string, namespace: string, dir: string): AppDefinition | undefined {
    const entries = repo.list(dir) ?? [];
    const names = new Set(entries.filter((e) => e.type === 'file').map((e) => e.name));
    const definitionName = names.has('app.yaml') ? 'app.yaml' : names.has('app.yml') ? 'app.yml' : undefined;
    const isFolderSource = FOLDER_SOURCE_MARKERS.some((m) => names.has(m));
    let app: AppDefinition | undefined;
    if (definitionName) {
      const yaml = readYaml(`${dir}/${definitionName}`);
      if (!yaml) return undefined;
      app = readDefinition(name, namespace, yaml, problems);
      if (!app) return undefined;
      app.dir = dir;
      if (app.kind === 'spec' && !app.keys.repoURL && !app.keys.chart && app.keys.path === undefined) {
        // app.yaml beside a chart or kustomization: the folder itself is the source.
        app.keys = { ...app.keys, path: dir };
      }
    } else {
      const manifests = entries.some((e) => e.type === 'file' && /\.(ya?ml|json)$/.test(e.name) && !/^values(\..+)?\.ya?ml$/.test(e.name));
      if (!isFolderSource && !manifests) {
        problems.push({ code: 'GK_INVALID_VALUE', file: dir, message: 'app folder holds no app.yaml, Chart.yaml, kustomization.yaml or manifests' });
        return undefined;
      }
      app = { name, namespace, kind: 'folder', source: dir, keys: { path: dir }, dir, providerValues: new Map(), clusterValues: new Map() };
    }
    for (const entry of entries) {
      if (entry.type !== 'file') continue;
      const m = /^values(?:\.(.+))?\.ya?ml$/.exec(entry.name);
      if (!m) continue;
      const layer = m[1];
      // A chart folder's own values.yaml is Helm's business, not a layer of ours.
      if (layer === undefined && (!definitionName || names.has('Chart.yaml'))) continue;
      const yaml = readYaml(`${dir}/${entry.name}`);
      if (!yaml) continue;
      if (yaml.data !== null && !isPlainObject(yaml.data)) {
        problems.push({ code: 'GK_INVALID_VALUE', file: yaml.file, line: yaml.lineOf([]), message: 'Helm values must be a map' });
        continue;
      }
      if (layer === undefined) app.valuesFile = yaml;
      else if (referableProviders.has(layer) || referableClusters.has(layer)) {
        if (providers.has(layer)) app.providerValues.set(layer, yaml);
        if (clusterNames.has(layer)) app.clusterValues.set(layer, yaml);
      } else if (referableEnvironmentNames.has(layer)) {
        (app.environmentValues ??= new Map()).set(layer, yaml);
      } else {
        problems.push({
          code: clusterListing === 'dir' ? 'GK_UNKNOWN_CLUSTER' : 'GK_UNKNOWN_PROVIDER',
          file: yaml.file,
          message: `values.${layer}.yaml names no provider, environment or cluster${didYouMean(layer, [...providers.keys(), ...environments.keys(), ...clusterNames], providerAliases)}`,
        });
      }
    }
    if (!isFolderSource) app.plainFolder = true;
    problems.push(...checkAppFolder({ dir, entries, app, layerNames: [...providers.keys(), ...clusterNames] }));
    const yamlBeside = entries.filter((e) => e.type === 'file' && YAML_FILE.test(e.name)).map((e) => e.name);
    problems.push(...checkValueFiles(app, (p) => guard(() => repo.kind(p)), yamlBeside));
    return app;
  }

  const allApps = namespaces.flatMap((ns) => ns.apps);
  for (const app of allApps) {
    checkReferences(app, referableProviders, referableClusters, problems);
    checkAppEnvironments(app, referableEnvironmentNames, problems);
    if (app.kind === 'spec') checkPaths(app.keys, app.yaml, [], undefined);
    // Apps with a folder of their own had theirs checked with the folder's files.
    if (app.kind === 'spec' && app.dir === undefined) problems.push(...checkValueFiles(app, (p) => guard(() => repo.kind(p))));
  }
  // With a cluster file broken, what a selector would match is not known (that file's problem is reported).
  if (brokenClusters.size === 0) checkEmptySelections({ clusters, providers, namespaces, settings }, problems);
  const waves = computeSyncWaves(allApps, problems, {
    broken: brokenApps,
    baseWave: (app) => app.keys.syncWave ?? namespaceOf.get(app.namespace)?.defaults.syncWave ?? settings.defaults.syncWave ?? 0,
  });
  if (problems.length === 0 && allApps.length === 0) {
    problems.push({ code: 'GK_NO_APPS', file: 'apps', message: 'defines no apps; refusing to produce an empty list (Argo CD would prune every app)' });
  }
  return { platform: { label: repo.label, settings, providers, environments, clusters, namespaces, implicitCluster, waves }, problems };
}

function checkVersion(version: string | undefined, yaml: YamlFile, path: (string | number)[], problems: Problem[]): void {
  if (version === undefined || version === '' || EXACT_VERSION.test(version)) return;
  const range = /[*^~<>=|xX]|\s-\s/.test(version) || /^v?\d+(\.\d+)?$/.test(version);
  problems.push({
    code: 'GK_UNPINNED_CHART',
    file: yaml.file,
    line: yaml.lineOf(path),
    field: fieldOf(path),
    message: `version ${JSON.stringify(version)} is ${range ? 'a range, not a pinned version' : 'not an exact version'}; pin one exact chart version (MAJOR.MINOR.PATCH)`,
  });
}

function checkAppName(name: string, file: string, problems: Problem[]): boolean {
  if (DNS_LABEL.test(name) && name.length <= 63) return true;
  problems.push({
    code: 'GK_INVALID_NAME',
    file,
    message: `app name ${JSON.stringify(name)} must be a DNS-1123 label (lower case letters, digits and -, at most 63 characters)`,
  });
  return false;
}

function readDefinition(name: string, namespace: string, yaml: YamlFile, problems: Problem[]): AppDefinition | undefined {
  const base = { name, namespace, yaml, source: yaml.file, providerValues: new Map(), clusterValues: new Map() };
  if (yaml.data === null || yaml.data === undefined) {
    problems.push({ code: 'GK_INVALID_VALUE', file: yaml.file, line: 1, message: 'is empty; an app needs at least repoURL and chart, or path' });
    return undefined;
  }
  if (isApplication(yaml.data)) {
    const found = checkApplicationFile(yaml);
    // Argo CD has no `gitops-k8s` key: it holds the app keys a full Application can take (where it runs, its name).
    const block = yaml.data['gitops-k8s'];
    if (block !== undefined) found.push(...validateAgainst('applicationKeys', yaml, block, ['gitops-k8s']));
    problems.push(...found);
    return found.length === 0
      ? { ...base, kind: 'application', keys: { ...keysOfApplication(yaml.data), ...((block ?? {}) as AppKeys) }, application: yaml.data }
      : undefined;
  }
  if (!isPlainObject(yaml.data)) {
    problems.push({ code: 'GK_INVALID_VALUE', file: yaml.file, line: yaml.lineOf([]), message: 'an app definition must be a map of app keys' });
    return undefined;
  }
  if (typeof yaml.data.apiVersion === 'string' && typeof yaml.data.kind === 'string') {
    problems.push({
      code: 'GK_INVALID_VALUE',
      file: yaml.file,
      line: yaml.lineOf(['kind']),
      field: 'kind',
      message: misplacedObjectMessage(yaml.data.kind, yaml.data.apiVersion, namespace),
    });
    return undefined;
  }
  const found = validateAgainst('app', yaml);
  problems.push(...found);
  if (found.length > 0) return undefined;
  const keys = yaml.data as AppKeys;
  const at = (field: string): { file: string; line?: number; field: string } => ({ file: yaml.file, line: yaml.lineOf([field]), field });
  if (keys.chart !== undefined) {
    if (!keys.repoURL) problems.push({ code: 'GK_INVALID_VALUE', ...at('chart'), message: 'a chart needs repoURL (the Helm repository)' });
    if (!keys.version) {
      problems.push({
        code: 'GK_UNPINNED_CHART',
        file: yaml.file,
        line: yaml.lineOf(['chart']),
        field: 'version',
        message: `chart ${JSON.stringify(keys.chart)} has no version; pin one (nothing unpinned reaches a cluster)`,
      });
    }
  }
  checkVersion(keys.version, yaml, ['version'], problems);
  for (const kind of ['providers', 'environments', 'clusters'] as const) {
    for (const [name, override] of Object.entries(keys.overrides?.[kind] ?? {}))
      checkVersion(override.version, yaml, ['overrides', kind, name, 'version'], problems);
  }
  if (keys.chart !== undefined) {
    if (keys.path !== undefined) problems.push({ code: 'GK_INVALID_VALUE', ...at('path'), message: 'give chart or path, not both' });
  } else if (keys.version !== undefined) {
    problems.push({ code: 'GK_INVALID_VALUE', ...at('version'), message: 'version is for Helm charts; a Git source takes targetRevision' });
  }
  if (keys.repoURL !== undefined && keys.chart === undefined && keys.path === undefined) {
    problems.push({ code: 'GK_INVALID_VALUE', ...at('repoURL'), message: 'repoURL needs chart (Helm repository) or path (Git repository)' });
  }
  return { ...base, kind: 'spec', keys };
}

/** Cluster and provider names in a `clusters` selector at `at` of `yaml` must exist. */
function checkSelector(
  selector: AppKeys['clusters'],
  yaml: YamlFile,
  at: (string | number)[],
  providers: Map<string, Provider>,
  clusters: Set<string>,
  problems: Problem[],
): void {
  if (!selector) return;
  const check = (name: string, known: Iterable<string>, path: (string | number)[], code: 'GK_UNKNOWN_CLUSTER' | 'GK_UNKNOWN_PROVIDER'): void => {
    const list = [...known];
    if (list.includes(name)) return;
    problems.push({
      code,
      file: yaml.file,
      line: yaml.lineOf(path),
      field: fieldOf(path),
      message: `unknown ${code === 'GK_UNKNOWN_CLUSTER' ? 'cluster' : 'provider'} ${JSON.stringify(name)}${didYouMean(name, list, code === 'GK_UNKNOWN_PROVIDER' ? providerAliases : undefined)}; known: ${list.sort().join(', ')}`,
    });
  };
  if (Array.isArray(selector)) selector.forEach((n, i) => check(n, clusters, [...at, i], 'GK_UNKNOWN_CLUSTER'));
  else {
    selector.names?.forEach((n, i) => check(n, clusters, [...at, 'names', i], 'GK_UNKNOWN_CLUSTER'));
    selector.exclude?.forEach((n, i) => check(n, clusters, [...at, 'exclude', i], 'GK_UNKNOWN_CLUSTER'));
    selector.providers?.forEach((n, i) => check(n, providers.keys(), [...at, 'providers', i], 'GK_UNKNOWN_PROVIDER'));
  }
}

// Cluster and provider names used by an app must exist: a typo there would silently deploy nowhere.
function checkReferences(app: AppDefinition, providers: Map<string, Provider>, clusters: Set<string>, problems: Problem[]): void {
  const yaml = app.yaml;
  if (yaml && app.kind === 'application') checkSelector(app.keys.clusters, yaml, ['gitops-k8s', 'clusters'], providers, clusters, problems);
  if (!yaml || app.kind !== 'spec') return;
  const check = (
    name: string,
    known: Iterable<string>,
    path: (string | number)[],
    code: 'GK_UNKNOWN_CLUSTER' | 'GK_UNKNOWN_PROVIDER',
    line?: () => number | undefined,
  ): void => {
    const list = [...known];
    if (list.includes(name)) return;
    problems.push({
      code,
      file: yaml.file,
      line: line ? line() : yaml.lineOf(path),
      field: fieldOf(path),
      message: `unknown ${code === 'GK_UNKNOWN_CLUSTER' ? 'cluster' : 'provider'} ${JSON.stringify(name)}${didYouMean(name, list, code === 'GK_UNKNOWN_PROVIDER' ? providerAliases : undefined)}`,
    });
  };
  checkSelector(app.keys.clusters, yaml, ['clusters'], providers, clusters, problems);
  for (const p of Object.keys(app.keys.overrides?.providers ?? {})) {
    check(p, providers.keys(), ['overrides', 'providers', p], 'GK_UNKNOWN_PROVIDER', () => yaml.lineOfKey(['overrides', 'providers'], p));
  }
  for (const c of Object.keys(app.keys.overrides?.clusters ?? {})) {
    check(c, clusters, ['overrides', 'clusters', c], 'GK_UNKNOWN_CLUSTER', () => yaml.lineOfKey(['overrides', 'clusters'], c));
  }
}
