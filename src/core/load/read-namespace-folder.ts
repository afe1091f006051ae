import type { ProblemCollector } from '../errors.js';
import type { AppDefinition, NamespaceFolder } from '../model.js';
import type { YamlFile } from '../yaml/parse-yaml.js';
import { namespaceObjectProblem } from './check-application-file.js';
import { entryNameProblem } from './check-entry-names.js';
import { checkPaths } from './check-paths.js';
import { checkSelector } from './check-references.js';
import { isDnsLabel } from './dns-label.js';
import { readAppFolder, type LayerNames } from './read-app-folder.js';
import { checkAppName, readAppDefinition } from './read-app-file.js';
import { YAML_FILE, type RepoReader } from './repo-reader.js';

/** The namespace folders of apps/ and the apps whose definition has a problem. */
export interface ReadApps {
  namespaces: NamespaceFolder[];
  /** `namespace/app` of apps whose definition has a problem: depending on them is not also an "unknown dependency". */
  broken: Set<string>;
}

/** Reads apps/: one folder per namespace. */
export function readAppsFolder(reader: RepoReader, layers: LayerNames): ReadApps {
  const { repo, problems } = reader;
  const namespaces: NamespaceFolder[] = [];
  const broken = new Set<string>();
  const listing = problems.capture(() => repo.list('apps'));
  if (listing === undefined && !problems.has('GK_PATH_ESCAPE')) {
    problems.push({
      code: 'GK_NOT_FOUND',
      file: 'apps',
      message: `no apps/ folder in ${repo.label}: is this a platform repo? (gitops-k8s init DIR makes one)`,
    });
  }
  for (const entry of listing ?? []) {
    const wrongEntry = entryNameProblem('apps', entry.name, entry.type, 'folder');
    if (wrongEntry) problems.push(wrongEntry);
    if (wrongEntry || entry.name.startsWith('.')) continue;
    const dir = `apps/${entry.name}`;
    if (!isDnsLabel(entry.name, 63)) {
      problems.push({
        code: 'GK_INVALID_NAME',
        file: dir,
        message: `namespace folder ${JSON.stringify(entry.name)} must be a DNS-1123 label of at most 63 characters`,
      });
      continue;
    }
    namespaces.push(readNamespaceFolder(reader, entry.name, dir, layers, broken));
  }
  return { namespaces, broken };
}

/** Reads `apps/<name>`: namespace.yaml, app files and app folders. Apps with a problem go to `broken`. */
function readNamespaceFolder(reader: RepoReader, name: string, dir: string, layers: LayerNames, broken: Set<string>): NamespaceFolder {
  const { repo, problems } = reader;
  const ns: NamespaceFolder = { name, dir, labels: {}, annotations: {}, vars: {}, defaults: {}, project: {}, apps: [] };
  const claim = claimAppNames(problems);
  const addApp = (appName: string, app: AppDefinition | undefined): void => {
    if (app) ns.apps.push(app);
    else broken.add(`${ns.name}/${appName}`);
  };
  for (const entry of problems.capture(() => repo.list(dir)) ?? []) {
    const wrongEntry = entryNameProblem(dir, entry.name, entry.type, 'either');
    if (wrongEntry) problems.push(wrongEntry);
    if (wrongEntry || entry.name.startsWith('.')) continue;
    const path = `${dir}/${entry.name}`;
    if (entry.type !== 'file') {
      if (!checkAppName(entry.name, path, problems) || !claim(entry.name, path)) continue;
      addApp(
        entry.name,
        problems.capture(() => readAppFolder(reader, entry.name, ns.name, path, layers)),
      );
      continue;
    }
    const m = YAML_FILE.exec(entry.name);
    if (!m) continue;
    if (m[1] === 'namespace') {
      readNamespaceFile(reader, ns, path, layers);
      continue;
    }
    if (!checkAppName(m[1]!, path, problems) || !claim(m[1]!, path)) continue;
    const yaml = reader.readYaml(path);
    addApp(m[1]!, yaml && readAppDefinition(m[1]!, ns.name, yaml, problems));
  }
  return ns;
}

/** A claim on an app name within one namespace folder: false (reported) when another file or folder has it. */
function claimAppNames(problems: ProblemCollector): (name: string, source: string) => boolean {
  const names = new Map<string, string>();
  return (name, source) => {
    const other = names.get(name);
    if (other) {
      problems.push({ code: 'GK_NAME_COLLISION', file: source, message: `app ${JSON.stringify(name)} is also defined by ${other}; keep one of them` });
      return false;
    }
    names.set(name, source);
    return true;
  };
}

/** Reads namespace.yaml into `ns`: labels, annotations, vars, defaults and project of the namespace. */
function readNamespaceFile(reader: RepoReader, ns: NamespaceFolder, path: string, layers: LayerNames): void {
  const { problems } = reader;
  const yaml = reader.readYaml(path);
  if (!yaml) return;
  const namespaceObject = namespaceObjectProblem(yaml);
  if (namespaceObject) {
    problems.push(namespaceObject);
    return;
  }
  const data = reader.checkMap(yaml, 'namespace', 'namespace.yaml');
  if (!data) return;
  assignNamespaceFile(ns, data as Partial<NamespaceFolder>, yaml);
  checkSelector(ns.defaults.clusters, yaml, ['defaults', 'clusters'], layers.referable, problems);
  checkPaths(reader.repo, ns.defaults, yaml, ['defaults'], problems);
}

function assignNamespaceFile(ns: NamespaceFolder, d: Partial<NamespaceFolder>, yaml: YamlFile): void {
  Object.assign(ns, {
    labels: d.labels ?? {},
    annotations: d.annotations ?? {},
    vars: d.vars ?? {},
    defaults: d.defaults ?? {},
    project: d.project ?? {},
    yaml,
  });
}
