import t from 'tap';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { Ajv } from 'ajv';
import { runCli } from '../../src/cli/cli.js';
import { inputParametersSchema } from '../../src/server/generator/request.js';
import { renderPlatform } from '../../src/core/render/render-platform.js';
import { openLocalRepo } from '../../src/sources/repo-files.js';
import { parameterSetOf } from '../../src/server/generator/parameters.js';
import { crdProblemsAll } from '../helpers/crd.js';
import {
  PINNED_INSTALL_URL,
  buildStockWith,
  find,
  generatorProblems,
  kustomize,
  manifestsDir,
  offlineCopy,
  projectRoot,
  repoServerProblems,
  selects,
  stockObjects,
  type K8sObject,
} from './kustomize-build.js';

const version = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')).version as string;
const RBAC = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'ServiceAccount'];
const key = (o: K8sObject): string => `${o.kind}/${o.metadata.name}`;
/** The object without what kustomize's `namespace: argocd` sets (metadata.namespace, RoleBinding subjects' namespace). */
const withoutNamespace = (o: K8sObject): K8sObject => {
  const { namespace: _ns, ...metadata } = o.metadata;
  const copy: K8sObject = { ...o, metadata };
  if (o.kind === 'RoleBinding') copy.subjects = o.subjects.map(({ namespace: _n, ...s }: { namespace?: string }) => s);
  return copy;
};

/** JSON with sorted keys: cheap equality for the 1.4 MB CRDs, where a deep compare is slow. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );

/**
 * What the ApplicationSet controller does with one parameter set, for the Go
 * template forms the shipped ApplicationSet uses (`{{ .key }}`, `{{ toJson .key }}`,
 * missingkey=error): fill the template, fill templatePatch and merge it in
 * (maps merge, lists replace). Any other form fails the test.
 */
function applyTemplate(appset: K8sObject, params: Record<string, unknown>): K8sObject {
  const value = (k: string): unknown => {
    if (!(k in params)) throw new Error(`map has no entry for key "${k}"`);
    return params[k];
  };
  const fill = (text: string): string => {
    const out = text
      .replace(/\{\{\s*toJson\s+\.(\w+)\s*\}\}/g, (_, k: string) => JSON.stringify(value(k)))
      .replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, k: string) => String(value(k)));
    if (out.includes('{{')) throw new Error(`unsupported template in ${text}`);
    return out;
  };
  const walk = (v: unknown): unknown =>
    typeof v === 'string'
      ? fill(v)
      : Array.isArray(v)
        ? v.map(walk)
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
          : v;
  const merge = (a: unknown, b: unknown): unknown =>
    a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)
      ? Object.fromEntries(
          [...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [
            k,
            k in b ? merge((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]) : (a as Record<string, unknown>)[k],
          ]),
        )
      : b;
  const template = walk(appset.spec.template) as Record<string, unknown>;
  const patch = parse(fill(appset.spec.templatePatch)) as Record<string, unknown>;
  const merged = merge(template, patch) as { metadata: K8sObject['metadata']; spec: Record<string, unknown> };
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { ...merged.metadata, namespace: appset.metadata.namespace }, spec: merged.spec };
}

const stock = stockObjects();
const stockRepoServer = find(stock, 'Deployment', 'argocd-repo-server')!;
const appsetPodLabels = find(stock, 'Deployment', 'argocd-applicationset-controller')!.spec.template.metadata.labels;
const repoServerPodLabels = stockRepoServer.spec.template.metadata.labels;

t.test('the sidecar Component on the stock v3.5.1 install', async (t) => {
  const built = await buildStockWith('sidecar');
  const repoServer = find(built, 'Deployment', 'argocd-repo-server')!;

  t.test('gives an argocd-repo-server pod that meets every CMP sidecar and generator rule', async (t) => {
    t.same(repoServerProblems(repoServer, stockRepoServer), []);
  });

  t.test('the pod-rule checker finds the stock pod wanting (it can fail)', async (t) => {
    t.match(repoServerProblems(stockRepoServer, stockRepoServer), ['no gitops-k8s-cmp container']);
    const broken = structuredClone(repoServer);
    const cmp = broken.spec.template.spec.containers.find((c: { name: string }) => c.name === 'gitops-k8s-cmp');
    cmp.volumeMounts = cmp.volumeMounts.map((m: { mountPath: string }) => (m.mountPath === '/tmp' ? { ...m, name: 'tmp' } : m));
    cmp.securityContext.runAsUser = 0;
    t.match(repoServerProblems(broken, stockRepoServer).join('\n'), /runAsUser must be 999[\s\S]*repo-server's tmp volume/);
  });

  t.test('pins both sidecars to the image of this release', async (t) => {
    const images = repoServer.spec.template.spec.containers
      .filter((c: { name: string }) => c.name.startsWith('gitops-k8s'))
      .map((c: { image: string }) => c.image);
    t.same(images, [`ghcr.io/gitops-k8s/gitops-k8s:${version}`, `ghcr.io/gitops-k8s/gitops-k8s:${version}`]);
  });

  t.test('changes nothing else of the stock install and adds no RBAC and no Secret', async (t) => {
    for (const o of stock) {
      if (key(o) === 'Deployment/argocd-repo-server') continue;
      t.ok(canonical(withoutNamespace(find(built, o.kind, o.metadata.name)!)) === canonical(withoutNamespace(o)), `${key(o)} unchanged`);
    }
    const added = built.filter((o) => !find(stock, o.kind, o.metadata.name));
    t.same(added.map(key).sort(), [
      'ConfigMap/argocd-applicationset-plugin-gitops-k8s',
      'ConfigMap/gitops-k8s-generator-config',
      'NetworkPolicy/gitops-k8s-generator-network-policy',
      'Service/gitops-k8s-generator',
    ]);
    t.notOk(added.some((o) => RBAC.includes(o.kind) || o.kind === 'Secret'));
  });

  t.test('exposes the generator through a Service that reaches the generator container port', async (t) => {
    const svc = find(built, 'Service', 'gitops-k8s-generator')!;
    t.ok(selects(svc.spec.selector, repoServerPodLabels), 'selects the repo-server pods');
    const port = svc.spec.ports.find((p: { port: number }) => p.port === 4355);
    const generator = repoServer.spec.template.spec.containers.find((c: { name: string }) => c.name === 'gitops-k8s-generator');
    t.ok(generator.ports.some((p: { name: string; containerPort: number }) => p.name === port.targetPort || p.containerPort === port.targetPort));
  });

  t.test('gives the ApplicationSet controller a plugin ConfigMap: baseUrl on that Service, token as $secret:key, requestTimeout in seconds', async (t) => {
    const cm = find(built, 'ConfigMap', 'argocd-applicationset-plugin-gitops-k8s')!;
    const url = new URL(cm.data.baseUrl);
    t.equal(url.protocol, 'http:');
    t.equal(url.hostname, 'gitops-k8s-generator', 'the Service, by its short name (same namespace)');
    t.equal(url.port, '4355');
    const [, secret, secretKey] = /^\$([a-z0-9-]+):([A-Za-z0-9._-]+)$/.exec(cm.data.token) ?? [];
    t.equal(secret, 'gitops-k8s-token');
    const tokenVolume = repoServer.spec.template.spec.volumes.find((v: { secret?: { secretName: string } }) => v.secret?.secretName === secret);
    t.ok(
      tokenVolume.secret.items.some((i: { key: string }) => i.key === secretKey),
      'the generator reads the same key',
    );
    t.match(cm.data.requestTimeout, /^\d+$/);
    t.ok(Number(cm.data.requestTimeout) >= 30, 'not below Argo CD default');
    t.equal(cm.metadata.labels?.['app.kubernetes.io/part-of'], 'argocd');
  });

  t.test('admits the generator port from the ApplicationSet controller pods only', async (t) => {
    const np = find(built, 'NetworkPolicy', 'gitops-k8s-generator-network-policy')!;
    t.ok(selects(np.spec.podSelector.matchLabels, repoServerPodLabels));
    t.same(np.spec.policyTypes, ['Ingress']);
    t.equal(np.spec.ingress.length, 1);
    const [rule] = np.spec.ingress;
    t.same(rule.ports, [{ port: 4355, protocol: 'TCP' }]);
    t.equal(rule.from.length, 1);
    t.ok(selects(rule.from[0].podSelector.matchLabels, appsetPodLabels), 'the controller pods match');
    t.notOk(rule.from[0].namespaceSelector, 'not other namespaces');
  });
});

t.test('the standalone generator Deployment', async (t) => {
  const built = await kustomize(path.join(manifestsDir, 'standalone'));
  const deployment = find(built, 'Deployment', 'gitops-k8s-generator')!;
  const pod = deployment.spec.template;

  t.test('runs gitops-k8s serve by the same rules as the sidecar, without a Kubernetes token', async (t) => {
    t.same(generatorProblems(pod.spec, { readiness: '/readyz' }), []);
    t.equal(pod.spec.automountServiceAccountToken, false);
    t.equal(find(built, 'ServiceAccount', pod.spec.serviceAccountName)?.automountServiceAccountToken, false);
    t.equal(pod.spec.containers[0].image, `ghcr.io/gitops-k8s/gitops-k8s:${version}`);
    t.notOk(built.some((o) => ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'Secret'].includes(o.kind)));
  });

  t.test('keeps the ConfigMap contract of the sidecar, with its Service and NetworkPolicy on its own pods', async (t) => {
    const sidecar = await buildStockWith('sidecar');
    for (const name of ['argocd-applicationset-plugin-gitops-k8s', 'gitops-k8s-generator-config']) {
      t.same(find(built, 'ConfigMap', name), find(sidecar, 'ConfigMap', name), `${name} is the same`);
    }
    const svc = find(built, 'Service', 'gitops-k8s-generator')!;
    t.ok(selects(svc.spec.selector, pod.metadata.labels));
    t.ok(selects(deployment.spec.selector.matchLabels, pod.metadata.labels));
    t.same(
      svc.spec.ports.map((p: { port: number }) => p.port),
      [4355],
    );
    const np = find(built, 'NetworkPolicy', 'gitops-k8s-generator-network-policy')!;
    t.ok(selects(np.spec.podSelector.matchLabels, pod.metadata.labels));
    t.ok(selects(np.spec.ingress[0].from[0].podSelector.matchLabels, appsetPodLabels));
    t.ok(
      built.every((o) => o.metadata.namespace === 'argocd'),
      'in Argo CD namespace, where the controller reads the ConfigMap',
    );
  });
});

t.test('the cmp Component alone puts only the plugin next to argocd-repo-server, and pairs with the standalone generator', async (t) => {
  const paired = await buildStockWith('cmp', ['standalone']);
  const standalone = await kustomize(path.join(manifestsDir, 'standalone'));
  t.same(
    paired
      .filter((o) => !find(stock, o.kind, o.metadata.name))
      .map(key)
      .sort(),
    standalone.map(key).sort(),
    'the cmp Component adds no object of its own',
  );
  t.same(repoServerProblems(find(paired, 'Deployment', 'argocd-repo-server')!, stockRepoServer, { generator: false }), []);
  const generator = find(paired, 'Deployment', 'gitops-k8s-generator')!;
  t.same(generatorProblems(generator.spec.template.spec, { readiness: '/readyz' }), []);
  const services = paired.filter((o) => o.kind === 'Service' && o.metadata.name === 'gitops-k8s-generator');
  t.equal(services.length, 1);
  t.ok(selects(services[0]!.spec.selector, generator.spec.template.metadata.labels));
  t.notOk(selects(services[0]!.spec.selector, repoServerPodLabels), 'not the repo-server pods');
});

t.test('manifests/install is the stock install pinned to v3.5.1 plus the Component', async (t) => {
  const text = readFileSync(path.join(manifestsDir, 'install', 'kustomization.yaml'), 'utf8');
  const kustomization = parse(text);
  t.ok(kustomization.resources.includes(PINNED_INSTALL_URL), 'the upstream install by its tag');
  t.notOk(
    kustomization.resources.some((r: string) => /^https?:/.test(r) && r !== PINNED_INSTALL_URL),
    'nothing else remote',
  );
  t.same(kustomization.components, ['../sidecar']);
  const root = offlineCopy();
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const built = await kustomize(path.join(root, 'manifests', 'install'));
  const withComponent = await buildStockWith('sidecar');
  t.same(built.map(key).sort(), ['Namespace/argocd', ...withComponent.map(key)].sort());
  t.same(repoServerProblems(find(built, 'Deployment', 'argocd-repo-server')!, stockRepoServer), []);
  for (const o of built)
    t.equal(o.metadata.annotations?.['argocd.argoproj.io/sync-options'], 'Delete=false', `${key(o)} survives deleting a self-managing Application`);
  t.same(
    find(built, 'Deployment', 'argocd-repo-server')!.spec.template.metadata.annotations,
    undefined,
    'pod templates untouched: no restart on the first self-sync',
  );
  t.ok(
    built
      .filter((o) => o.kind !== 'Namespace' && o.metadata.namespace === undefined)
      .every((o) => ['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition'].includes(o.kind)),
    'namespaced objects land in argocd',
  );
});

t.test('the shipped root Application and ApplicationSet', async (t) => {
  const read = (f: string): K8sObject => parse(readFileSync(path.join(manifestsDir, 'install', f), 'utf8'));
  const root = read('root-application.yaml');
  const appset = read('applicationset.yaml');
  const plugins = find(await buildStockWith('sidecar'), 'ConfigMap', 'argocd-applicationset-plugin-gitops-k8s')!;

  t.test('validate against the Argo CD v3.5.1 CRDs', async (t) => {
    t.same(crdProblemsAll([root, appset]), []);
  });

  t.test('the root Application renders examples/platform through the CMP, naming the plugin', async (t) => {
    t.equal(root.spec.source.plugin.name, 'gitops-k8s');
    t.equal(root.spec.source.path, 'examples/platform');
    const gitops = parse(readFileSync(path.join(projectRoot, 'examples', 'platform', 'gitops.yaml'), 'utf8'));
    t.equal(root.spec.source.repoURL, gitops.repoURL, 'the repo examples/platform declares');
    t.equal(root.metadata.namespace, 'argocd');
    t.notOk(root.metadata.finalizers, 'deleting the root does not cascade');
  });

  t.test('the ApplicationSet uses the plugin generator with Go templates and patches in the full spec', async (t) => {
    t.equal(appset.spec.goTemplate, true);
    t.same(appset.spec.goTemplateOptions, ['missingkey=error']);
    const [generator] = appset.spec.generators;
    t.equal(generator.plugin.configMapRef.name, plugins.metadata.name);
    t.same(Object.keys(generator.plugin.input.parameters).sort(), ['path', 'repoURL', 'revision']);
    const validate = new Ajv({ strict: false }).compile(inputParametersSchema);
    t.ok(validate(generator.plugin.input.parameters), 'parameters the generator accepts');
    t.equal(generator.plugin.input.parameters.path, 'examples/platform');
    t.match(appset.spec.templatePatch, /spec: \{\{ toJson \.spec \}\}/);
    t.match(appset.spec.templatePatch, /labels: \{\{ toJson \.labels \}\}/);
    t.match(appset.spec.templatePatch, /annotations: \{\{ toJson \.annotations \}\}/);
    t.equal(appset.spec.template.metadata.name, '{{ .name }}');
    t.equal(appset.spec.template.spec.project, '{{ .project }}');
    t.equal(appset.spec.syncPolicy.preserveResourcesOnDeletion, true);
  });

  t.test("the ApplicationSet's template and templatePatch, filled with the generator's parameter sets, give render's Applications", async (t) => {
    const platform = renderPlatform(openLocalRepo(path.join(projectRoot, 'examples', 'platform')), { pathPrefix: 'examples/platform' });
    t.ok(platform.apps.length > 0);
    for (const r of platform.apps) {
      const params = JSON.parse(JSON.stringify(parameterSetOf(r, 'examples/platform'))) as Record<string, unknown>;
      const application = applyTemplate(appset, params);
      t.same(crdProblemsAll([application]), [], application.metadata.name);
      t.same(application.spec, r.application.spec, `${application.metadata.name}: the spec render makes`);
      t.same(application.metadata.labels, r.application.metadata.labels);
      t.same(application.metadata.annotations, r.application.metadata.annotations);
      t.same(application.metadata.finalizers, ['resources-finalizer.argocd.argoproj.io']);
    }
  });
});

t.test("the shipped projects Application gives the ApplicationSet's Applications their AppProjects", async (t) => {
  const read = (f: string): K8sObject => parse(readFileSync(path.join(manifestsDir, 'install', f), 'utf8'));
  const projectsApp = read('projects-application.yaml');
  const appset = read('applicationset.yaml');
  const root = read('root-application.yaml');
  t.same(crdProblemsAll([projectsApp]), []);
  t.not(projectsApp.metadata.name, root.metadata.name, 'not the root Application under another name');
  t.equal(projectsApp.metadata.namespace, 'argocd');
  t.notOk(projectsApp.metadata.finalizers, 'deleting it does not cascade');
  const { source } = projectsApp.spec;
  t.equal(source.plugin.name, 'gitops-k8s');
  const input = appset.spec.generators[0].plugin.input.parameters;
  t.same(
    [source.repoURL, source.targetRevision, source.path],
    [input.repoURL, input.revision, input.path],
    'the same repo, revision and folder as the ApplicationSet',
  );

  // What the repo-server runs for it: generate in the source folder, with the
  // Application's plugin parameters as ARGOCD_APP_PARAMETERS.
  let stdout = '';
  let stderr = '';
  const code = await runCli(['generate'], {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    cwd: path.join(projectRoot, source.path),
    env: {
      ARGOCD_APP_NAME: projectsApp.metadata.name,
      ARGOCD_APP_NAMESPACE: 'argocd',
      ARGOCD_APP_SOURCE_REPO_URL: source.repoURL,
      ARGOCD_APP_SOURCE_TARGET_REVISION: source.targetRevision,
      ARGOCD_APP_SOURCE_PATH: source.path,
      ARGOCD_APP_PARAMETERS: JSON.stringify(source.plugin.parameters),
    },
  });
  t.equal(code, 0, stderr);
  const objects = parseAllDocuments(stdout).map((d) => d.toJS()) as K8sObject[];
  t.ok(objects.length > 0);
  t.ok(
    objects.every((o) => o.kind === 'AppProject'),
    'AppProjects only: the ApplicationSet owns the Applications',
  );
  t.same(crdProblemsAll(objects), []);

  const platform = renderPlatform(openLocalRepo(path.join(projectRoot, source.path)), { pathPrefix: source.path });
  t.same(objects, JSON.parse(JSON.stringify(platform.projects)), 'every AppProject render makes');
  const names = new Set(objects.map((o) => o.metadata.name));
  for (const r of platform.apps) {
    const application = applyTemplate(appset, JSON.parse(JSON.stringify(parameterSetOf(r, source.path))) as Record<string, unknown>);
    t.ok(names.has(application.spec.project), `${application.metadata.name}: project ${application.spec.project} exists`);
  }
});
