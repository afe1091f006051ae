/**
 * `gitops-k8s bootstrap`: the whole first install of Argo CD with gitops-k8s,
 * as one YAML stream for `kubectl apply --server-side -f -`.
 *
 * The install is built by kustomize (`kubectl kustomize`, as Argo CD builds
 * it) from manifests/install: Argo CD's stock install.yaml pinned to
 * {@link ARGOCD_VERSION} plus the gitops-k8s Component (manifests/sidecar),
 * with a root Application that renders the platform repo through the Config
 * Management Plugin, and the Application health check in argocd-cm
 * (manifests/install/application-health.lua) that makes sync waves of child
 * Applications wait. The self-managed app folder ({@link argocdAppFiles})
 * builds the same manifests/install, so the first install and every later
 * self-sync produce the same objects, sidecar included.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { stringify } from 'yaml';
import { MANAGED_BY, MANAGER } from '../core/argo-labels.js';
import { createError } from '../core/errors.js';
import { readPackageVersion } from '../package-version.js';

/** The Argo CD release this version of gitops-k8s installs and is tested with. */
export const ARGOCD_VERSION = 'v3.5.1';
/** Argo CD's stock install, pinned by tag. */
export const ARGOCD_INSTALL_URL = `https://raw.githubusercontent.com/argoproj/argo-cd/${ARGOCD_VERSION}/manifests/install.yaml`;
/** The CRDs that must be Established before any Argo CD custom resource is applied. */
export const ARGOCD_CRDS = ['applications.argoproj.io', 'applicationsets.argoproj.io', 'appprojects.argoproj.io'] as const;
/** The namespace the install lives in (the stock manifests' RBAC assumes it). */
const ARGOCD_NAMESPACE = 'argocd';
/** Name of the root Application (app of apps through the CMP). */
const ROOT_APPLICATION_NAME = 'gitops-k8s-root';
/** Where the gitops-k8s manifests are published (a kustomize remote base, by release tag). */
export const GITOPS_K8S_SOURCE = 'https://github.com/gitops-k8s/gitops-k8s';
/** The argocd-cm key of the Application health check that makes sync waves of child Applications wait. */
export const APPLICATION_HEALTH_KEY = 'resource.customizations.health.argoproj.io_Application';
/** The one copy of that check, in manifests/install (its kustomization merges it into argocd-cm). */
const APPLICATION_HEALTH_FILE = 'application-health.lua';

/** Which objects to print: the CRDs, everything else, or both (CRDs first). */
export type BootstrapPart = 'crds' | 'install' | 'all';
export const BOOTSTRAP_PARTS: readonly BootstrapPart[] = ['crds', 'install', 'all'];

export interface BootstrapOptions {
  /** Git URL of the platform repository (https, ssh or file; no credentials in it). */
  repoURL: string;
  /** Branch, tag or commit the root Application follows. Default `HEAD`. */
  revision?: string;
  /** Folder of the platform repo inside the Git repository. Default `.`. */
  path?: string;
  /** Argo CD's install.yaml as a local file or an https URL. Default {@link ARGOCD_INSTALL_URL}. */
  argocdInstall?: string;
  /** Which objects to print. Default `all`. */
  part?: BootstrapPart;
  /** The kubectl binary that runs kustomize. Default `kubectl`. */
  kubectl?: string;
  /** Where relative paths (argocdInstall) are resolved. Default the process's cwd. */
  cwd?: string;
  /** Folder holding `cmp/`, `common/`, `sidecar/` and `install/`. Default the package's manifests/. */
  manifestsDir?: string;
  /** Limit for `kubectl kustomize`, in milliseconds. Default 120 s (it may download the install). */
  timeoutMs?: number;
}

/** A Kubernetes object as kustomize printed it: its text and what it is. */
export interface BootstrapObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /** The parsed object. */
  object: Record<string, unknown>;
  /** Its YAML as kustomize printed it (no trailing separator). */
  text: string;
}

export interface BootstrapResult {
  objects: BootstrapObject[];
  /** The YAML stream to print: a comment header, then the objects. */
  text: string;
}

/** The package's own manifests/ folder, found from this module (src/ or dist/src/). */
function packageManifestsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, 'manifests', 'sidecar', 'kustomization.yaml');
    if (existsSync(candidate)) return path.join(dir, 'manifests');
    dir = path.dirname(dir);
  }
  throw createError('GK_CONFIG', 'the gitops-k8s manifests/ folder is missing from this installation');
}

/** The Application health check as shipped: manifests/install/application-health.lua. */
export function readApplicationHealthCheck(manifestsDir = packageManifestsDir()): string {
  return readFileSync(path.join(manifestsDir, 'install', APPLICATION_HEALTH_FILE), 'utf8');
}

function repoPatch(repoURL: string): Record<string, unknown> {
  return {
    target: { version: 'v1', kind: 'ConfigMap', name: 'gitops-k8s-generator-config' },
    patch: JSON.stringify([{ op: 'replace', path: '/data/repo', value: repoURL }]),
  };
}

function checkOptions(options: BootstrapOptions): Required<Pick<BootstrapOptions, 'repoURL' | 'revision' | 'path' | 'part'>> {
  const repoURL = options.repoURL.trim();
  if (!/^(https:\/\/|http:\/\/|ssh:\/\/|file:\/\/|git@[^:\s]+:)\S+$/.test(repoURL)) {
    throw createError('GK_USAGE', 'the repo URL must be an https://, ssh://, file:// or git@host: Git URL', { field: '--repo' });
  }
  // Credentials in a URL would end up in the Application, in Git and in logs.
  if (/^[a-z]+:\/\/[^/@\s]*@/i.test(repoURL) && !/^ssh:\/\/[^:/@\s]+@/i.test(repoURL)) {
    throw createError(
      'GK_USAGE',
      'the repo URL carries credentials; give Argo CD a repository Secret instead (argocd repo add) and pass the URL without them',
      { field: '--repo' },
    );
  }
  const revision = (options.revision ?? 'HEAD').trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(revision)) {
    throw createError('GK_USAGE', `not a branch, tag or commit: ${JSON.stringify(revision)}`, { field: '--revision' });
  }
  const rawPath = (options.path ?? '.').trim().replace(/\/+$/, '') || '.';
  const normal = path.posix.normalize(rawPath);
  if (path.posix.isAbsolute(normal) || normal === '..' || normal.startsWith('../')) {
    throw createError('GK_USAGE', `the path must stay inside the repository: ${JSON.stringify(rawPath)}`, { field: '--path' });
  }
  const part = options.part ?? 'all';
  if (!BOOTSTRAP_PARTS.includes(part)) {
    throw createError('GK_USAGE', `unknown part ${JSON.stringify(part)}; use ${BOOTSTRAP_PARTS.join(', ')}`, { field: '--part' });
  }
  return { repoURL, revision, path: normal, part };
}

/** The root Application: the platform repo rendered by the gitops-k8s CMP (app of apps). */
function rootApplication(options: { repoURL: string; revision: string; path: string }): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: ROOT_APPLICATION_NAME,
      namespace: ARGOCD_NAMESPACE,
      labels: { [MANAGED_BY]: MANAGER },
    },
    spec: {
      project: 'default',
      source: {
        repoURL: options.repoURL,
        targetRevision: options.revision,
        path: options.path,
        plugin: { name: 'gitops-k8s' },
      },
      destination: { server: 'https://kubernetes.default.svc', namespace: ARGOCD_NAMESPACE },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  };
}

/**
 * The kustomization bootstrap builds: gitops-k8s's manifests/install (the
 * pinned stock install, the sidecar Component), the root Application and the
 * generator's default repo. The same as the self-managed app folder
 * ({@link argocdAppFiles}) plus the root Application.
 */
function bootstrapKustomization(options: { repoURL: string }): Record<string, unknown> {
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['manifests/install', 'root-application.yaml'],
    patches: [repoPatch(options.repoURL)],
  };
}

/**
 * The app folder (apps/argocd/argo-cd/) that lets Argo CD manage itself with
 * what bootstrap installed: gitops-k8s's manifests/install at this release
 * (the pinned stock install plus the sidecar Component) and the same repo
 * setting. A self-sync then keeps the sidecar. Returns file name -> content.
 */
function argocdAppFiles(options: { repoURL: string; ref: string; cluster: string }): Record<string, string> {
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [`${GITOPS_K8S_SOURCE}//manifests/install?ref=${options.ref}`],
    patches: [repoPatch(options.repoURL)],
  };
  const app = {
    clusters: [options.cluster],
    syncWave: -5,
    syncPolicy: {
      automated: { prune: false, selfHeal: true },
      syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'],
    },
  };
  return {
    'kustomization.yaml': [
      `# Argo CD ${ARGOCD_VERSION} managing itself, with the gitops-k8s sidecar: the same objects`,
      '# `gitops-k8s bootstrap` installed. Upgrade by changing the ref (one gitops-k8s release',
      '# pins one Argo CD release).',
      stringify(kustomization),
    ].join('\n'),
    'app.yaml': [
      '# Only on the cluster Argo CD runs on. prune: false so that a bad commit never deletes',
      '# Argo CD; ServerSideApply because the ApplicationSet CRD is too large for client-side apply.',
      stringify(app),
    ].join('\n'),
    '../namespace.yaml': [
      '# The argocd namespace folder: its AppProject may install the cluster-scoped kinds Argo CD',
      '# is made of (CRDs, ClusterRoles, ClusterRoleBindings).',
      stringify({ project: { description: 'Argo CD itself', clusterResourceWhitelist: [{ group: '*', kind: '*' }] } }),
    ].join('\n'),
  };
}

/**
 * Writes {@link argocdAppFiles} into `dir` (refusing to overwrite the app
 * files; an existing namespace.yaml of the folder above is kept). Returns the
 * paths written.
 */
export function writeArgocdApp(dir: string, options: { repoURL: string; ref?: string; cluster?: string }): string[] {
  const { repoURL } = checkOptions({ repoURL: options.repoURL });
  const files = argocdAppFiles({ repoURL, ref: options.ref ?? `v${readPackageVersion()}`, cluster: options.cluster ?? 'in-cluster' });
  const namespaceFile = '../namespace.yaml';
  for (const name of Object.keys(files)) {
    if (name !== namespaceFile && existsSync(path.join(dir, name))) {
      throw createError('GK_USAGE', `${path.join(dir, name)} exists; remove it first`, { field: '--argocd-app' });
    }
  }
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    if (name === namespaceFile && existsSync(file)) continue;
    writeFileSync(file, content);
    written.push(file);
  }
  return written;
}

// How kustomize says a download failed: DNS, refused or unreachable, timeouts, TLS.
const NETWORK_FAILURE = new RegExp(
  [
    'no such host',
    'server misbehaving',
    'dial tcp',
    'lookup \\S+',
    'could not resolve',
    'connection refused',
    'network is unreachable',
    'i/o timeout',
    'tls handshake',
    'timeout awaiting',
  ].join('|'),
  'i',
);

function runKubectl(kubectl: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(kubectl, args, { maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) {
        resolve(stdout);
        return;
      }
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        reject(createError('GK_KUBECTL', `bootstrap builds the install with \`kubectl kustomize\`, and ${kubectl} is not on the PATH`, {}, { cause: error }));
        return;
      }
      const detail = String(stderr || error.message)
        .trim()
        .split('\n')
        .slice(-5)
        .join('\n');
      const timedOut = error.killed === true;
      reject(
        createError(
          'GK_KUBECTL',
          timedOut
            ? `kubectl kustomize did not finish within ${Math.round(timeoutMs / 1000)} s (downloading Argo CD's install? use --argocd-install FILE offline)`
            : `kubectl kustomize failed: ${detail}` +
                (NETWORK_FAILURE.test(detail) ? "\n(downloading Argo CD's install failed: offline, pass a copy of it with --argocd-install FILE)" : ''),
          {},
          { cause: error },
        ),
      );
    });
  });
}

/** Splits kustomize's output into objects, keeping each one's text. */
function splitYamlStream(text: string): BootstrapObject[] {
  const objects: BootstrapObject[] = [];
  for (const chunk of text.split(/^---[ \t]*$/m)) {
    if (chunk.trim() === '') continue;
    // js-yaml: several times faster than yaml on the 1.4 MB ApplicationSet CRD.
    const object = load(chunk) as Record<string, unknown> | null;
    if (!object || typeof object !== 'object') continue;
    const metadata = (object.metadata ?? {}) as { name?: string; namespace?: string };
    objects.push({
      apiVersion: String(object.apiVersion),
      kind: String(object.kind),
      name: String(metadata.name),
      namespace: metadata.namespace,
      object,
      text: chunk.replace(/^\n+/, '').replace(/\n+$/, ''),
    });
  }
  return objects;
}

function rank(o: BootstrapObject): number {
  if (o.kind === 'Namespace') return 0;
  if (o.kind === 'CustomResourceDefinition') return 1;
  if (o.apiVersion.startsWith('argoproj.io/')) return 3;
  return 2;
}

/** Orders for `kubectl apply`: Namespace, CRDs, the rest as kustomize gave it, Argo CD custom resources last. */
function orderForApply(objects: readonly BootstrapObject[]): BootstrapObject[] {
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i)
    .map(({ o }) => o);
}

/** The objects of one part. */
export function selectPart(objects: readonly BootstrapObject[], part: BootstrapPart): BootstrapObject[] {
  if (part === 'crds') return objects.filter((o) => o.kind === 'CustomResourceDefinition');
  if (part === 'install') return objects.filter((o) => o.kind !== 'CustomResourceDefinition');
  return [...objects];
}

/** How to apply the output; printed as YAML comments at the top of it. */
function applyInstructions(options: { repoURL: string; revision: string; path: string }): string[] {
  const args = `--repo ${options.repoURL} --revision ${options.revision} --path ${options.path}`;
  return [
    `Argo CD ${ARGOCD_VERSION} with gitops-k8s, made by \`gitops-k8s bootstrap\`.`,
    'Apply it in this order, server-side (the ApplicationSet CRD is too large for client-side apply)',
    "as Argo CD's own field manager, so that its self-syncs own every field from the start:",
    `  kubectl create namespace ${ARGOCD_NAMESPACE}`,
    `  kubectl -n ${ARGOCD_NAMESPACE} create secret generic gitops-k8s-token --from-literal=token="$(openssl rand -hex 32)"`,
    `  kubectl -n ${ARGOCD_NAMESPACE} label secret gitops-k8s-token app.kubernetes.io/part-of=argocd`,
    `  gitops-k8s bootstrap ${args} --part crds | kubectl apply --server-side --field-manager=argocd-controller -f -`,
    `  kubectl wait --for=condition=Established --timeout=120s ${ARGOCD_CRDS.map((c) => `crd/${c}`).join(' ')}`,
    `  gitops-k8s bootstrap ${args} --part install | kubectl apply --server-side --field-manager=argocd-controller -f -`,
    'No password is in here: Argo CD creates its first admin password at start-up;',
    `read it with \`argocd admin initial-password -n ${ARGOCD_NAMESPACE}\`, then delete argocd-initial-admin-secret.`,
    'From then on Argo CD manages itself through the platform repo. Write its app folder once',
    'in a checkout of the repo and commit it (without it, nothing keeps Argo CD up to date;',
    'with another Argo CD install there, a self-sync removes the sidecar):',
    `  gitops-k8s bootstrap --repo ${options.repoURL} --argocd-app ${path.posix.join(options.path, 'apps/argocd/argo-cd')}`,
  ];
}

/**
 * Builds the install with `kubectl kustomize` in a temporary folder and returns
 * its objects in apply order, limited to `options.part`.
 */
export async function buildBootstrap(options: BootstrapOptions): Promise<BootstrapResult> {
  const checked = checkOptions(options);
  const manifestsDir = options.manifestsDir ?? packageManifestsDir();
  const cwd = options.cwd ?? process.cwd();
  const work = mkdtempSync(path.join(tmpdir(), 'gitops-k8s-bootstrap-'));
  try {
    for (const dir of ['cmp', 'common', 'sidecar', 'install']) {
      cpSync(path.join(manifestsDir, dir), path.join(work, 'manifests', dir), { recursive: true });
    }
    let installResource = ARGOCD_INSTALL_URL;
    if (options.argocdInstall !== undefined) {
      const source = options.argocdInstall.trim();
      if (/^https:\/\/[^/@\s]*@/i.test(source)) {
        throw createError('GK_USAGE', 'the Argo CD install URL carries credentials; download it and pass the file instead', { field: '--argocd-install' });
      } else if (/^https:\/\//.test(source)) {
        installResource = source;
      } else if (/^[a-z]+:\/\//i.test(source)) {
        throw createError('GK_USAGE', 'the Argo CD install must be a local file or an https:// URL', { field: '--argocd-install' });
      } else {
        const file = path.resolve(cwd, source);
        if (!existsSync(file) || !statSync(file).isFile()) {
          throw createError('GK_USAGE', `no such file: ${source}`, { field: '--argocd-install' });
        }
        // kustomize only loads files inside the kustomization's folder.
        cpSync(file, path.join(work, 'manifests', 'install', 'argocd-install.yaml'));
        installResource = 'argocd-install.yaml';
      }
      const installKustomization = path.join(work, 'manifests', 'install', 'kustomization.yaml');
      const text = readFileSync(installKustomization, 'utf8');
      if (!text.includes(ARGOCD_INSTALL_URL)) throw createError('GK_CONFIG', `manifests/install does not reference ${ARGOCD_INSTALL_URL}`);
      writeFileSync(installKustomization, text.replace(ARGOCD_INSTALL_URL, installResource));
    }
    writeFileSync(path.join(work, 'root-application.yaml'), stringify(rootApplication(checked)));
    writeFileSync(path.join(work, 'kustomization.yaml'), stringify(bootstrapKustomization({ repoURL: checked.repoURL })));
    const built = await runKubectl(options.kubectl ?? 'kubectl', ['kustomize', work], options.timeoutMs ?? 120_000).catch((error: unknown) => {
      // kustomize's own words for it (a resid dump) would not say that the install is the problem.
      const missing =
        error instanceof Error ? /"(argocd-cm|argocd-cmd-params-cm)".*does not exist; cannot merge/s.exec(error.message.replace(/\\/g, ''))?.[1] : undefined;
      if (missing) {
        const why = missing === 'argocd-cm' ? 'the Application health check' : 'progressive syncs (RollingSync)';
        throw createError(
          'GK_CONFIG',
          `the Argo CD install has no ${missing} ConfigMap for ${why} (is ${options.argocdInstall ?? installResource} Argo CD's install.yaml?)`,
          {},
          { cause: error },
        );
      }
      throw error;
    });
    const all = orderForApply(splitYamlStream(built));
    const repoServer = all.find((o) => o.kind === 'Deployment' && o.name === 'argocd-repo-server');
    const containers = (
      (repoServer?.object.spec as { template?: { spec?: { containers?: { name?: string }[] } } } | undefined)?.template?.spec?.containers ?? []
    ).map((c) => c.name);
    if (!containers.includes('gitops-k8s-cmp')) {
      throw createError(
        'GK_CONFIG',
        `the Argo CD install has no argocd-repo-server Deployment to patch (is ${options.argocdInstall ?? installResource} Argo CD's install.yaml?)`,
      );
    }
    // Without the check, dependsOn's sync waves would silently order nothing.
    const argocdCm = all.find((o) => o.kind === 'ConfigMap' && o.name === 'argocd-cm');
    const healthCheck = (argocdCm?.object.data as Record<string, unknown> | undefined)?.[APPLICATION_HEALTH_KEY];
    if (healthCheck !== readApplicationHealthCheck(manifestsDir)) {
      throw createError('GK_CONFIG', `the built argocd-cm does not carry ${APPLICATION_HEALTH_KEY} from manifests/install/${APPLICATION_HEALTH_FILE}`);
    }
    const objects = selectPart(all, checked.part);
    const header = applyInstructions(checked)
      .map((line) => `# ${line}`.trimEnd())
      .join('\n');
    const text = `${header}\n${objects.map((o) => `---\n${o.text}\n`).join('')}`;
    return { objects, text };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
