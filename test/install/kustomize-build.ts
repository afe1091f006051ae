/**
 * Offline kustomize builds of manifests/ for the install tests, and the pod
 * rules of Argo CD's CMP sidecar contract as a checker that lists problems.
 * kustomize cannot download here: the pinned upstream install.yaml is replaced
 * by the byte-identical copy in vendor/argo-cd.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { argocdDataDir } from '../helpers/crd.js';
import { projectRoot } from '../helpers/project-root.js';

export { projectRoot };
export const manifestsDir = path.join(projectRoot, 'manifests');
export const stockInstall = path.join(argocdDataDir, 'install.yaml');
export const PINNED_INSTALL_URL = 'https://raw.githubusercontent.com/argoproj/argo-cd/v3.5.1/manifests/install.yaml';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: any };
  [k: string]: any;
};

/** Parses a YAML stream into objects (js-yaml: the stock CRDs are large). */
export function parseStream(text: string): K8sObject[] {
  return text
    .split(/^---[ \t]*$/m)
    .filter((c) => c.trim() !== '' && !/^(\s*#.*\n?)*\s*$/.test(c))
    .map((c) => load(c) as K8sObject)
    .filter((o) => o && typeof o === 'object');
}

let stockCache: K8sObject[] | undefined;
/** Argo CD v3.5.1's stock install, parsed once. */
export function stockObjects(): K8sObject[] {
  stockCache ??= parseStream(readFileSync(stockInstall, 'utf8'));
  return stockCache;
}

/** Runs `kubectl kustomize dir`. */
export function kustomize(dir: string): Promise<K8sObject[]> {
  return new Promise((resolve, reject) => {
    execFile('kubectl', ['kustomize', dir], { maxBuffer: 256 * 1024 * 1024, timeout: 120_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`kubectl kustomize ${dir}: ${stderr || error.message}`));
      else resolve(parseStream(stdout));
    });
  });
}

/**
 * Copies manifests/ into a temporary folder with the pinned Argo CD URL in
 * manifests/install replaced by the vendored copy; returns the folder (the
 * caller removes it). Fails if the URL is not there exactly once.
 */
export function offlineCopy(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'gk-install-test-'));
  cpSync(manifestsDir, path.join(root, 'manifests'), { recursive: true });
  const kfile = path.join(root, 'manifests', 'install', 'kustomization.yaml');
  const text = readFileSync(kfile, 'utf8');
  if (text.split(PINNED_INSTALL_URL).length !== 2) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`manifests/install/kustomization.yaml must reference ${PINNED_INSTALL_URL} exactly once`);
  }
  cpSync(stockInstall, path.join(root, 'manifests', 'install', 'argocd-install.yaml'));
  writeFileSync(kfile, text.replace(PINNED_INSTALL_URL, 'argocd-install.yaml'));
  return root;
}

const builds = new Map<string, Promise<K8sObject[]>>();
/** Builds stock install + one Component (+ extra kustomizations), all relative to manifests/, in a copy, once per process. */
export function buildStockWith(component: string, extra: string[] = []): Promise<K8sObject[]> {
  const cacheKey = [component, ...extra].join(' ');
  let build = builds.get(cacheKey);
  if (!build) {
    build = buildOnce(component, extra);
    builds.set(cacheKey, build);
  }
  return build.then((objects) => structuredClone(objects));
}

async function buildOnce(component: string, extra: string[]): Promise<K8sObject[]> {
  const root = offlineCopy();
  try {
    const overlay = path.join(root, 'overlay');
    cpSync(stockInstall, path.join(overlay, 'install.yaml'));
    writeFileSync(
      path.join(overlay, 'kustomization.yaml'),
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: argocd\n' +
        `resources: [install.yaml${extra.map((r) => `, ../manifests/${r}`).join('')}]\ncomponents: [../manifests/${component}]\n`,
    );
    return await kustomize(overlay);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata?.name === name);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Container = Record<string, any>;

function securityProblems(who: string, c: Container): string[] {
  const p: string[] = [];
  const sc = c.securityContext ?? {};
  if (sc.runAsUser !== 999) p.push(`${who}: runAsUser must be 999 (got ${sc.runAsUser})`);
  if (sc.runAsNonRoot !== true) p.push(`${who}: runAsNonRoot must be true`);
  if (sc.readOnlyRootFilesystem !== true) p.push(`${who}: readOnlyRootFilesystem must be true`);
  if (sc.allowPrivilegeEscalation !== false) p.push(`${who}: allowPrivilegeEscalation must be false`);
  if (!(sc.capabilities?.drop ?? []).includes('ALL')) p.push(`${who}: capabilities must drop ALL`);
  for (const kind of ['requests', 'limits']) {
    for (const res of ['cpu', 'memory']) {
      if (!c.resources?.[kind]?.[res]) p.push(`${who}: resources.${kind}.${res} missing`);
    }
  }
  const image = String(c.image ?? '');
  if (!/@sha256:[0-9a-f]{64}$/.test(image) && !/:v?\d+\.\d+\.\d+[\w.-]*$/.test(image)) p.push(`${who}: image ${image} is not pinned to a version or digest`);
  return p;
}

function mountOf(c: Container, mountPath: string): Container | undefined {
  return (c.volumeMounts ?? []).find((m: Container) => m.mountPath === mountPath);
}

function portNumber(c: Container, port: unknown): number | undefined {
  if (typeof port === 'number') return port;
  return (c.ports ?? []).find((p: Container) => p.name === port)?.containerPort;
}

/** Problems of the generator container (`gitops-k8s serve`) in a pod spec. */
export function generatorProblems(podSpec: Container, options: { readiness: '/readyz' | '/healthz' }, name = 'gitops-k8s-generator'): string[] {
  const c: Container | undefined = (podSpec.containers ?? []).find((x: Container) => x.name === name);
  if (!c) return [`no ${name} container`];
  const who = name;
  const p = securityProblems(who, c);
  const argv = [...(c.command ?? []), ...(c.args ?? [])].map(String);
  if (argv[0] !== 'gitops-k8s' || argv[1] !== 'serve') p.push(`${who}: must run gitops-k8s serve (got ${argv.join(' ')})`);
  if (!argv.includes('--port=4355')) p.push(`${who}: must listen on --port=4355`);
  if (!(c.ports ?? []).some((x: Container) => x.containerPort === 4355)) p.push(`${who}: containerPort 4355 missing`);
  const probe = (k: string, want: string): void => {
    const g = c[k]?.httpGet;
    if (!g || g.path !== want || portNumber(c, g.port) !== 4355) p.push(`${who}: ${k} must GET ${want} on 4355`);
  };
  probe('livenessProbe', '/healthz');
  probe('readinessProbe', options.readiness);
  const tokenFlag = argv.find((a) => a.startsWith('--token-file='));
  const tokenEnv = (c.env ?? []).find((e: Container) => e.name === 'GITOPS_K8S_TOKEN');
  if (tokenFlag) {
    const file = tokenFlag.slice('--token-file='.length);
    const mount = (c.volumeMounts ?? []).find((m: Container) => file.startsWith(`${m.mountPath}/`));
    const volume = mount && (podSpec.volumes ?? []).find((v: Container) => v.name === mount.name);
    if (!volume?.secret?.secretName) p.push(`${who}: --token-file must be inside a mounted Secret`);
    else if (mount.subPath) p.push(`${who}: the token Secret must not be a subPath mount (rotation would not reach it)`);
  } else if (!tokenEnv?.valueFrom?.secretKeyRef) {
    p.push(`${who}: the token must come from a Secret (--token-file or GITOPS_K8S_TOKEN from secretKeyRef)`);
  }
  for (const e of c.env ?? []) {
    if (/TOKEN|PASSWORD|SECRET/i.test(e.name) && e.value !== undefined) p.push(`${who}: ${e.name} has a literal value`);
  }
  const tmp = mountOf(c, '/tmp');
  const tmpVolume = tmp && (podSpec.volumes ?? []).find((v: Container) => v.name === tmp.name);
  if (!tmpVolume?.emptyDir) p.push(`${who}: /tmp must be an emptyDir`);
  return p;
}

/**
 * Problems of a patched argocd-repo-server Deployment against Argo CD's CMP
 * sidecar rules and the gitops-k8s placement (empty when it meets them all).
 */
export function repoServerProblems(deployment: K8sObject, stock: K8sObject, options: { generator?: boolean } = {}): string[] {
  const withGenerator = options.generator ?? true;
  const p: string[] = [];
  const spec = deployment.spec?.template?.spec ?? {};
  const stockSpec = stock.spec.template.spec;
  const containers: Container[] = spec.containers ?? [];
  if (containers[0]?.name !== 'argocd-repo-server') p.push('argocd-repo-server must stay the first container');
  if (JSON.stringify(containers.find((c) => c.name === 'argocd-repo-server')) !== JSON.stringify(stockSpec.containers[0])) {
    p.push('the argocd-repo-server container must be left as the stock install has it');
  }
  if (spec.automountServiceAccountToken !== false) p.push('the pod must keep automountServiceAccountToken: false');
  for (const v of stockSpec.volumes) {
    if (JSON.stringify((spec.volumes ?? []).find((x: Container) => x.name === v.name)) !== JSON.stringify(v))
      p.push(`stock volume ${v.name} changed or missing`);
  }
  const cmp = containers.find((c) => c.name === 'gitops-k8s-cmp');
  if (!cmp) return [...p, 'no gitops-k8s-cmp container'];
  p.push(...securityProblems('gitops-k8s-cmp', cmp));
  if (JSON.stringify(cmp.command) !== JSON.stringify(['/var/run/argocd/argocd-cmp-server']))
    p.push('gitops-k8s-cmp: command must be /var/run/argocd/argocd-cmp-server');
  if (cmp.args?.length) p.push('gitops-k8s-cmp: no args');
  if (mountOf(cmp, '/var/run/argocd')?.name !== 'var-files') p.push('gitops-k8s-cmp: var-files must be mounted at /var/run/argocd');
  if (mountOf(cmp, '/home/argocd/cmp-server/plugins')?.name !== 'plugins') p.push('gitops-k8s-cmp: plugins must be mounted at /home/argocd/cmp-server/plugins');
  const config = mountOf(cmp, '/home/argocd/cmp-server/config/plugin.yaml') ?? mountOf(cmp, '/home/argocd/cmp-server/config');
  if (config) {
    const v = (spec.volumes ?? []).find((x: Container) => x.name === config.name);
    if (!v?.configMap) p.push('gitops-k8s-cmp: a mounted plugin.yaml must come from a ConfigMap');
  }
  const tmp = mountOf(cmp, '/tmp');
  const repoServerTmp = mountOf(containers[0] ?? {}, '/tmp')?.name;
  const tmpVolume = tmp && (spec.volumes ?? []).find((x: Container) => x.name === tmp.name);
  if (!tmpVolume?.emptyDir) p.push('gitops-k8s-cmp: /tmp must be its own emptyDir');
  else if (tmp?.name === repoServerTmp) p.push("gitops-k8s-cmp: /tmp must not be the repo-server's tmp volume");
  const generatorTmp = mountOf(containers.find((c) => c.name === 'gitops-k8s-generator') ?? {}, '/tmp')?.name;
  if (tmp && tmp.name === generatorTmp) p.push('gitops-k8s-cmp: /tmp must not be shared with the generator');
  const generator = containers.find((c) => c.name === 'gitops-k8s-generator');
  if (!withGenerator) {
    if (generator) p.push('no generator container expected');
    if (containers.length !== 2) p.push(`expected argocd-repo-server and gitops-k8s-cmp only (got ${containers.map((c) => c.name).join(', ')})`);
    return p;
  }
  // Readiness is per pod: the generator must not gate argocd-repo-server on its Git access.
  p.push(...generatorProblems(spec, { readiness: '/healthz' }));
  if (generator && generator.image !== cmp.image) p.push('both sidecars must run the same image');
  if (containers.at(-1)?.name !== 'gitops-k8s-generator' || containers.length !== 3)
    p.push('expected argocd-repo-server, gitops-k8s-cmp, gitops-k8s-generator');
  return p;
}

/** Labels a selector needs, all present in `labels`. */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

// Run directly (tap runs every file here), this module checks its own offline copy. Compiled into dist/test/,
// it runs under its source's name (test/helpers/compiled-test-process.ts).
const invoked = process.argv[1] && path.resolve(process.argv[1]);
if (invoked === fileURLToPath(import.meta.url) || invoked === path.join(projectRoot, 'test/install/kustomize-build.ts')) {
  const { default: t } = await import('tap');
  t.test('the offline copy replaces only the pinned Argo CD URL with the vendored copy', (t) => {
    const root = offlineCopy();
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    const original = readFileSync(path.join(manifestsDir, 'install', 'kustomization.yaml'), 'utf8');
    const copied = readFileSync(path.join(root, 'manifests', 'install', 'kustomization.yaml'), 'utf8');
    t.equal(copied, original.replace(PINNED_INSTALL_URL, 'argocd-install.yaml'));
    t.equal(readFileSync(path.join(root, 'manifests', 'install', 'argocd-install.yaml'), 'utf8'), readFileSync(stockInstall, 'utf8'));
    t.end();
  });
}
