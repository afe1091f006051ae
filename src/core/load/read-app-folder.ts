import { didYouMean, providerAliases } from '../did-you-mean.js';
import { isPlainObject } from '../layering/merge.js';
import type { AppDefinition, Environment, Provider } from '../model.js';
import type { RepoEntry } from '../../sources/repo-files.js';
import { checkAppFolder, checkValueFiles } from './check-app-folder.js';
import type { Referable } from './check-references.js';
import { readAppDefinition } from './read-app-file.js';
import { YAML_FILE, type RepoReader } from './repo-reader.js';

const FOLDER_SOURCE_MARKERS = ['Chart.yaml', 'kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** The names a `values.<x>.yaml` may carry, and what each is. */
export interface LayerNames {
  providers: Map<string, Provider>;
  clusters: Set<string>;
  environments: Map<string, Environment>;
  referable: Referable;
  /** Whether the repo has a clusters/ folder (else the name was meant for a provider). */
  clustersFolder: boolean;
}

/**
 * Reads an app folder `apps/<namespace>/<name>`: its app.yaml, or the folder
 * itself as a path source (a chart, a kustomization, plain manifests), and
 * its values files. Undefined when it has a problem (reported).
 */
export function readAppFolder(reader: RepoReader, name: string, namespace: string, dir: string, layers: LayerNames): AppDefinition | undefined {
  const entries = reader.repo.list(dir) ?? [];
  const names = new Set(entries.filter((e) => e.type === 'file').map((e) => e.name));
  const definitionName = names.has('app.yaml') ? 'app.yaml' : names.has('app.yml') ? 'app.yml' : undefined;
  const isFolderSource = FOLDER_SOURCE_MARKERS.some((m) => names.has(m));
  let app: AppDefinition | undefined;
  if (definitionName) {
    const yaml = reader.readYaml(`${dir}/${definitionName}`);
    if (!yaml) return undefined;
    app = readAppDefinition(name, namespace, yaml, reader.problems);
    if (!app) return undefined;
    app.dir = dir;
    if (app.kind === 'spec' && !app.keys.repoURL && !app.keys.chart && app.keys.path === undefined) {
      // app.yaml beside a chart or kustomization: the folder itself is the source.
      app.keys = { ...app.keys, path: dir };
    }
  } else {
    const manifests = entries.some((e) => e.type === 'file' && /\.(ya?ml|json)$/.test(e.name) && !/^values(\..+)?\.ya?ml$/.test(e.name));
    if (!isFolderSource && !manifests) {
      reader.problems.push({ code: 'GK_INVALID_VALUE', file: dir, message: 'app folder holds no app.yaml, Chart.yaml, kustomization.yaml or manifests' });
      return undefined;
    }
    app = { name, namespace, kind: 'folder', source: dir, keys: { path: dir }, dir, providerValues: new Map(), clusterValues: new Map() };
  }
  // A chart folder's own values.yaml is Helm's business, not a layer of ours.
  const ownValues = definitionName !== undefined && !names.has('Chart.yaml');
  readValuesFiles(reader, app, entries, ownValues, layers);
  if (!isFolderSource) app.plainFolder = true;
  reader.problems.push(...checkAppFolder({ dir, entries, app, layerNames: [...layers.providers.keys(), ...layers.clusters] }));
  const yamlBeside = entries.filter((e) => e.type === 'file' && YAML_FILE.test(e.name)).map((e) => e.name);
  reader.problems.push(...checkValueFiles(app, (p) => reader.problems.capture(() => reader.repo.kind(p)), yamlBeside));
  return app;
}

/** Reads `values.yaml` (when `ownValues`) and `values.<layer>.yaml` of an app folder into `app`. */
function readValuesFiles(reader: RepoReader, app: AppDefinition, entries: readonly RepoEntry[], ownValues: boolean, layers: LayerNames): void {
  for (const entry of entries) {
    if (entry.type !== 'file') continue;
    const m = /^values(?:\.(.+))?\.ya?ml$/.exec(entry.name);
    if (!m) continue;
    const layer = m[1];
    if (layer === undefined && !ownValues) continue;
    const yaml = reader.readYaml(`${app.dir}/${entry.name}`);
    if (!yaml) continue;
    if (yaml.data !== null && !isPlainObject(yaml.data)) {
      reader.problems.push({ code: 'GK_INVALID_VALUE', file: yaml.file, line: yaml.lineOf([]), message: 'Helm values must be a map' });
      continue;
    }
    if (layer === undefined) app.valuesFile = yaml;
    else if (layers.referable.providers.has(layer) || layers.referable.clusters.has(layer)) {
      if (layers.providers.has(layer)) app.providerValues.set(layer, yaml);
      if (layers.clusters.has(layer)) app.clusterValues.set(layer, yaml);
    } else if (layers.referable.environments.has(layer)) {
      (app.environmentValues ??= new Map()).set(layer, yaml);
    } else {
      const names = [...layers.providers.keys(), ...layers.environments.keys(), ...layers.clusters];
      reader.problems.push({
        code: layers.clustersFolder ? 'GK_UNKNOWN_CLUSTER' : 'GK_UNKNOWN_PROVIDER',
        file: yaml.file,
        message: `values.${layer}.yaml names no provider, environment or cluster${didYouMean(layer, names, providerAliases)}`,
      });
    }
  }
}
