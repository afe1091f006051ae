import t from 'tap';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import {
  APPLICATION_HEALTH_KEY,
  ARGOCD_CRDS,
  ARGOCD_INSTALL_URL,
  GITOPS_K8S_SOURCE,
  buildBootstrap,
  readApplicationHealthCheck,
  selectPart,
  type BootstrapObject,
} from '../../src/install/bootstrap.js';
import { renderPlatform } from '../../src/core/render/render-platform.js';
import { openLocalRepo } from '../../src/sources/repo-files.js';
import { runCli } from '../../src/cli/cli.js';
import { readPackageVersion } from '../../src/package-version.js';
import { crdProblemsAll } from '../helpers/crd.js';
import {
  PINNED_INSTALL_URL,
  find,
  kustomize,
  manifestsDir,
  offlineCopy,
  parseStream,
  projectRoot,
  repoServerProblems,
  stockInstall,
  stockObjects,
  type K8sObject,
} from './kustomize-build.js';

const REPO = 'https://github.com/acme/platform.git';

async function bootstrap(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['bootstrap', ...args], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env, cwd: projectRoot });
  return { code, stdout, stderr };
}

const offline = ['--argocd-install', path.relative(projectRoot, stockInstall)];
const key = (o: K8sObject): string => `${o.kind}/${o.metadata.name}`;
const orderable = (objects: K8sObject[]): BootstrapObject[] =>
  objects.map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, object: o, text: '' }));
/** JSON with sorted keys: cheap equality for the 1.4 MB CRDs. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );

t.test('bootstrap prints the whole pinned install, self-managed sidecar included, for kubectl apply', async (t) => {
  const run = await bootstrap(['--repo', REPO, '--revision', 'main', '--path', 'platform', ...offline]);
  t.equal(run.code, 0, run.stderr);
  const objects = parseStream(run.stdout);
  const stock = stockObjects();

  t.test('every object of the stock v3.5.1 install is there, with the sidecar on argocd-repo-server', async (t) => {
    for (const o of stock) t.ok(find(objects, o.kind, o.metadata.name), `${key(o)} present`);
    t.same(repoServerProblems(find(objects, 'Deployment', 'argocd-repo-server')!, find(stock, 'Deployment', 'argocd-repo-server')!), []);
    const images = objects
      .flatMap((o) => [...(o.spec?.template?.spec?.containers ?? []), ...(o.spec?.template?.spec?.initContainers ?? [])])
      .map((c) => String(c.image));
    t.ok(images.length > 0);
    for (const image of images) t.match(image, /(:v?\d+\.\d+\.\d+[\w.-]*|@sha256:[0-9a-f]{64})$/, `${image} pinned`);
  });

  t.test("configures Argo CD's argocd-cm with the Application health check, byte for byte manifests/install/application-health.lua", async (t) => {
    const shipped = readFileSync(path.join(manifestsDir, 'install', 'application-health.lua'), 'utf8');
    t.equal(readApplicationHealthCheck(), shipped);
    t.equal(find(objects, 'ConfigMap', 'argocd-cm')?.data?.[APPLICATION_HEALTH_KEY], shipped);
    const install = await bootstrap(['--repo', REPO, '--part', 'install', ...offline]);
    t.equal(find(parseStream(install.stdout), 'ConfigMap', 'argocd-cm')?.data?.[APPLICATION_HEALTH_KEY], shipped, 'in --part install too');
  });

  t.test('orders the stream for apply: Namespace, CRDs, the rest, then the Argo CD custom resources', async (t) => {
    t.match(run.stdout, /^# /, 'starts with the instructions as comments');
    const kinds = objects.map((o) => o.kind);
    t.equal(kinds[0], 'Namespace');
    t.same(kinds.slice(1, 4), ['CustomResourceDefinition', 'CustomResourceDefinition', 'CustomResourceDefinition']);
    t.equal(kinds.lastIndexOf('CustomResourceDefinition'), 3);
    t.equal(objects.at(-1)!.kind, 'Application');
    t.same(objects.filter((o) => o.apiVersion.startsWith('argoproj.io/')).map(key), ['Application/gitops-k8s-root']);
  });

  t.test('roots the platform repo in one Application through the CMP that validates against the CRD', async (t) => {
    const root = find(objects, 'Application', 'gitops-k8s-root')!;
    t.same(crdProblemsAll([root]), []);
    t.same(root.spec.source, { repoURL: REPO, targetRevision: 'main', path: 'platform', plugin: { name: 'gitops-k8s' } });
    t.equal(root.metadata.namespace, 'argocd');
    t.same(root.spec.syncPolicy.automated, { prune: true, selfHeal: true });
  });

  t.test('points the generator at the platform repo', async (t) => {
    t.equal(find(objects, 'ConfigMap', 'gitops-k8s-generator-config')!.data.repo, REPO);
  });

  t.test('holds no password or token: Secrets are created empty and filled by Argo CD or by hand', async (t) => {
    const secrets = objects.filter((o) => o.kind === 'Secret');
    t.same(secrets.map(key).sort(), ['Secret/argocd-notifications-secret', 'Secret/argocd-secret']);
    for (const s of secrets) t.notOk(s.data || s.stringData, `${key(s)} has no data`);
    t.notOk(find(objects, 'Secret', 'gitops-k8s-token'), 'the token Secret is made by hand, never printed');
  });

  t.test('says how to apply it: token Secret first, CRDs server-side, wait for Established, then the rest', async (t) => {
    const header = run.stdout.split('\n---\n')[0]!;
    const steps = [
      'create secret generic gitops-k8s-token',
      '--part crds | kubectl apply --server-side --field-manager=argocd-controller -f -',
      'kubectl wait --for=condition=Established',
      '--part install | kubectl apply --server-side --field-manager=argocd-controller -f -',
    ];
    let at = -1;
    for (const step of steps) {
      const next = header.indexOf(step);
      t.ok(next > at, `${step} comes next`);
      at = next;
    }
    for (const crd of ARGOCD_CRDS) t.match(header, `crd/${crd}`);
  });

  t.test(
    'is what the self-managed app folder written by --argocd-app builds (manifests/install at this release), ' +
      'plus the root Application: a self-sync changes nothing, sidecar included',
    async (t) => {
      const platform = mkdtempSync(path.join(tmpdir(), 'gk-self-'));
      t.teardown(() => rmSync(platform, { recursive: true, force: true }));
      t.equal(await runCli(['init', platform, '--force'], { stdout: () => {}, stderr: () => {}, env: {}, cwd: projectRoot }), 0);
      const appDir = path.join(platform, 'apps', 'argocd', 'argo-cd');
      const wrote = await bootstrap(['--repo', REPO, '--argocd-app', appDir, '--argocd-cluster', 'local']);
      t.equal(wrote.code, 0, wrote.stderr);
      t.equal(wrote.stdout, '');
      // Build it offline: the published manifests/install is this checkout's, with the vendored Argo CD install.
      const copy = offlineCopy();
      t.teardown(() => rmSync(copy, { recursive: true, force: true }));
      const kfile = path.join(appDir, 'kustomization.yaml');
      const text = readFileSync(kfile, 'utf8');
      const remote = `${GITOPS_K8S_SOURCE}//manifests/install?ref=v${readPackageVersion()}`;
      t.ok(text.includes(remote), 'points at this release of manifests/install');
      cpSync(path.join(copy, 'manifests'), path.join(appDir, 'manifests'), { recursive: true });
      writeFileSync(kfile, text.replace(remote, 'manifests/install'));
      const selfManaged = await kustomize(appDir);
      const expected = objects.filter((o) => key(o) !== 'Application/gitops-k8s-root');
      t.same(selfManaged.map(key).sort(), expected.map(key).sort());
      for (const o of expected) t.ok(canonical(find(selfManaged, o.kind, o.metadata.name)) === canonical(o), `${key(o)} identical`);
      t.equal(
        find(selfManaged, 'ConfigMap', 'argocd-cm')?.data?.[APPLICATION_HEALTH_KEY],
        readApplicationHealthCheck(),
        'a self-sync keeps the Application health check',
      );
      let lintErr = '';
      t.equal(await runCli(['lint', platform], { stdout: () => {}, stderr: (s) => (lintErr += s), env: {}, cwd: projectRoot }), 0, lintErr);
      t.match(lintErr, /^ok: \d+ Applications, \d+ AppProjects, \d+ clusters\n$/, 'lint has nothing to say about the app folder');

      // The platform renders it as a valid, server-side, never-pruned Application on the chosen cluster.
      const rendered = renderPlatform(openLocalRepo(platform), {});
      const app = rendered.apps.find((a) => a.application.metadata.name.startsWith('argocd-argo-cd'))!.application as unknown as K8sObject;
      const project = rendered.projects.find((p) => (p as unknown as K8sObject).metadata.name === 'argocd') as unknown as K8sObject;
      t.same(crdProblemsAll([app, project]), []);
      t.equal(app.spec.source.path, 'apps/argocd/argo-cd');
      t.equal(app.spec.destination.server, 'https://kubernetes.default.svc');
      t.same(app.spec.syncPolicy.syncOptions, ['CreateNamespace=true', 'ServerSideApply=true']);
      t.equal(app.spec.syncPolicy.automated.prune, false);
      t.same(project.spec.clusterResourceWhitelist[0], { group: '*', kind: '*' });
      for (const o of expected)
        t.equal(o.metadata.annotations?.['argocd.argoproj.io/sync-options'], 'Delete=false', `${key(o)} survives deleting the Application`);

      const again = await bootstrap(['--repo', REPO, '--argocd-app', appDir]);
      t.equal(again.code, 2, 'never overwrites');
    },
  );

  t.test('--part all is --part crds followed by --part install', async (t) => {
    t.same(
      selectPart(orderable(objects), 'crds').map((o) => `${o.kind}/${o.name}`),
      ARGOCD_CRDS.map((c) => `CustomResourceDefinition/${c}`),
    );
    const rest = selectPart(orderable(objects), 'install').map((o) => `${o.kind}/${o.name}`);
    t.same([...ARGOCD_CRDS.map((c) => `CustomResourceDefinition/${c}`), ...rest].sort(), objects.map(key).sort());
    t.ok(rest.includes('Application/gitops-k8s-root') && rest.includes('Namespace/argocd'));
  });
});

t.test('bootstrap --part prints one part of what kustomize built, in apply order', async (t) => {
  // A stand-in kubectl prints a small build out of order: the filtering and ordering are bootstrap's.
  const dir = mkdtempSync(path.join(tmpdir(), 'gk-fake-build-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const build = [
    'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: gitops-k8s-root\n  namespace: argocd',
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: argocd-repo-server\n  namespace: argocd\n' +
      'spec:\n  template:\n    spec:\n      containers:\n      - name: argocd-repo-server\n      - name: gitops-k8s-cmp',
    'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: applications.argoproj.io',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: argocd\n' +
      `data:\n  ${APPLICATION_HEALTH_KEY}: ${JSON.stringify(readApplicationHealthCheck())}`,
    'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: argocd',
  ].join('\n---\n');
  writeFileSync(path.join(dir, 'build.yaml'), `${build}\n`);
  const fake = path.join(dir, 'kubectl');
  writeFileSync(fake, `#!/bin/sh\ncat '${path.join(dir, 'build.yaml')}'\n`);
  chmodSync(fake, 0o755);
  const env = { ...process.env, KUBECTL: fake };
  const names = async (part: string): Promise<string[]> => {
    const run = await bootstrap(['--repo', REPO, '--part', part], env);
    t.equal(run.code, 0, run.stderr);
    return parseStream(run.stdout).map(key);
  };
  t.same(await names('crds'), ['CustomResourceDefinition/applications.argoproj.io']);
  t.same(await names('install'), ['Namespace/argocd', 'Deployment/argocd-repo-server', 'ConfigMap/argocd-cm', 'Application/gitops-k8s-root']);
  t.same(await names('all'), [
    'Namespace/argocd',
    'CustomResourceDefinition/applications.argoproj.io',
    'Deployment/argocd-repo-server',
    'ConfigMap/argocd-cm',
    'Application/gitops-k8s-root',
  ]);
});

t.test('bootstrap uses the pinned Argo CD URL unless told otherwise, and the same one manifests/install pins', async (t) => {
  t.equal(ARGOCD_INSTALL_URL, PINNED_INSTALL_URL);
  t.ok(parse(readFileSync(path.join(manifestsDir, 'install', 'kustomization.yaml'), 'utf8')).resources.includes(ARGOCD_INSTALL_URL));
  // A stand-in kubectl records the kustomization it is handed: no download here.
  const dir = mkdtempSync(path.join(tmpdir(), 'gk-fake-kubectl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const seen = path.join(dir, 'seen.yaml');
  const fake = path.join(dir, 'kubectl');
  writeFileSync(
    fake,
    `#!/bin/sh\ncat "$2/manifests/install/kustomization.yaml" > '${seen}'\necho 'error: cannot reach raw.githubusercontent.com' >&2\nexit 1\n`,
  );
  chmodSync(fake, 0o755);
  const run = await bootstrap(['--repo', REPO], { ...process.env, KUBECTL: fake });
  t.equal(run.code, 1);
  t.match(run.stderr, /kubectl kustomize failed: error: cannot reach/);
  t.equal(readFileSync(seen, 'utf8'), readFileSync(path.join(manifestsDir, 'install', 'kustomization.yaml'), 'utf8'), 'manifests/install as shipped');
});

t.test('bootstrap refuses bad input with a usage error before building anything', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /required option '--repo <url>'/],
    [['--repo', 'not a url'], /--repo: the repo URL must be/],
    [['--repo', REPO, '--path', '../elsewhere'], /--path: the path must stay inside the repository/],
    [['--repo', REPO, '--revision', 'main branch'], /--revision: not a branch, tag or commit/],
    [['--repo', REPO, '--part', 'everything'], /option '--part <part>' argument 'everything' is invalid\. Allowed choices are crds, install, all\./],
    [['--repo', REPO, '--argocd-install', 'no/such/install.yaml'], /--argocd-install: no such file/],
    [['--repo', REPO, '--argocd-install', 'http://mirror.example/install.yaml'], /local file or an https:\/\/ URL/],
  ];
  for (const [args, message] of cases) {
    const run = await bootstrap(args);
    t.equal(run.code, 2, args.join(' '));
    t.match(run.stderr, message);
    t.equal(run.stdout, '');
  }
});

t.test('bootstrap never echoes credentials put in the repo URL', async (t) => {
  for (const url of ['https://deploy:s3cr3t-T0KEN@github.com/acme/platform.git', 'ssh://git:s3cr3t-T0KEN@github.com/acme/platform.git']) {
    const run = await bootstrap(['--repo', url, ...offline]);
    t.equal(run.code, 2);
    t.match(run.stderr, /carries credentials/);
    t.notMatch(run.stdout + run.stderr, /s3cr3t-T0KEN/);
  }
  const mirror = await bootstrap(['--repo', REPO, '--argocd-install', 'https://me:s3cr3t-T0KEN@mirror.example/install.yaml']);
  t.equal(mirror.code, 2);
  t.notMatch(mirror.stdout + mirror.stderr, /s3cr3t-T0KEN/);
  await t.rejects(
    buildBootstrap({ repoURL: 'ssh://git@github.com/acme/platform.git', part: 'crds', kubectl: '/nonexistent/kubectl' }),
    { code: 'GK_KUBECTL' },
    'a plain ssh user passes the check and reaches kubectl',
  );
});

t.test('bootstrap refuses to print an install whose argocd-cm lacks the shipped Application health check', async (t) => {
  const root = offlineCopy();
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dir = path.join(root, 'manifests');
  const kfile = path.join(dir, 'install', 'kustomization.yaml');
  const kustomization = parse(readFileSync(kfile, 'utf8'));
  t.ok(kustomization.configMapGenerator, 'manifests/install generates the check into argocd-cm');
  delete kustomization.configMapGenerator;
  writeFileSync(kfile, JSON.stringify(kustomization));
  await t.rejects(buildBootstrap({ repoURL: REPO, manifestsDir: dir }), {
    code: 'GK_CONFIG',
    message: /argocd-cm does not carry resource\.customizations\.health\.argoproj\.io_Application/,
  });
});

t.test('bootstrap says what is missing when kubectl is not there or the install is not Argo CD', async (t) => {
  const missing = await bootstrap(['--repo', REPO, ...offline], { ...process.env, KUBECTL: '/nonexistent/kubectl' });
  t.equal(missing.code, 1);
  t.match(missing.stderr, /kubectl kustomize`, and \/nonexistent\/kubectl is not on the PATH/);

  const dir = mkdtempSync(path.join(tmpdir(), 'gk-not-argocd-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const other = path.join(dir, 'install.yaml');
  writeFileSync(other, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: something-else\n');
  const wrong = await bootstrap(['--repo', REPO, '--argocd-install', other]);
  t.equal(wrong.code, 1);
  t.match(wrong.stderr, /no argocd-cm ConfigMap for the Application health check \(is \S+install\.yaml Argo CD's install\.yaml\?\)/);
  t.equal(wrong.stdout, '');
  writeFileSync(other, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n');
  const noParams = await bootstrap(['--repo', REPO, '--argocd-install', other]);
  t.equal(noParams.code, 1);
  t.match(noParams.stderr, /no argocd-cmd-params-cm ConfigMap for progressive syncs \(RollingSync\)/);
  writeFileSync(
    other,
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cmd-params-cm\n',
  );
  const noRepoServer = await bootstrap(['--repo', REPO, '--argocd-install', other]);
  t.equal(noRepoServer.code, 1);
  t.match(noRepoServer.stderr, /no argocd-repo-server Deployment to patch/);
  t.equal(noRepoServer.stdout, '');
});
