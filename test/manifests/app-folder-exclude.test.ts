import t from 'tap';
import path from 'node:path';
import { loadPlatformRepo } from '../../src/core/load/load-platform-repo.js';
import { renderManifests } from '../../src/manifests/render-manifests.js';
import { renderModel } from '../../src/core/render/render-platform.js';
import { openLocalRepo } from '../../src/sources/repo-files.js';
import { helmEnv, writeTree } from '../helpers/manifest-servers.js';

const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\n`;

t.test('an app folder of plain manifests excludes its app.yaml and values files from the directory source', async (t) => {
  const dir = writeTree(t.testdir({}), {
    'gitops.yaml': 'repoURL: https://git.example.com/platform.git\n',
    'providers/aws.yaml': 'labels: {cloud: aws}\n',
    'clusters/c1.yaml': 'provider: aws\nserver: https://c1.example.com\n',
    // app.yaml beside manifests, with an exclude of its own.
    'apps/web/plain/app.yaml': 'directory:\n  recurse: true\n  exclude: "{skip/*,*.json}"\n',
    'apps/web/plain/cm.yaml': cm('plain'),
    'apps/web/plain/skip/cm.yaml': cm('skipped'),
    // No app.yaml: a values.yaml (no layer of ours without app.yaml) sits beside the manifests.
    'apps/web/bare/cm.yaml': cm('bare'),
    'apps/web/bare/values.yaml': 'replicas: 2\n',
    // A chart folder is not a directory source: no `directory` at all.
    'apps/web/chart/app.yaml': 'releaseName: chart\n',
    'apps/web/chart/Chart.yaml': 'apiVersion: v2\nname: chart\nversion: 1.0.0\n',
    'apps/web/chart/templates/cm.yaml': cm('chart'),
    // app.yaml pointing at another folder: that folder is not the app's, nothing is excluded.
    'apps/web/elsewhere/app.yaml': 'path: shared\n',
    'shared/cm.yaml': cm('shared'),
  });
  const repo = loadPlatformRepo(openLocalRepo(dir));
  const { apps } = renderModel(repo);
  const sourceOf = (name: string): Record<string, unknown> => apps.find((r) => r.app.name === name)!.application.spec.source as Record<string, unknown>;
  const own = 'app.yaml,app.yml,values.yaml,values.yml,values.*.yaml,values.*.yml';
  t.same(sourceOf('plain').directory, { recurse: true, exclude: `{${own},skip/*,*.json}` }, "merged with the user's exclude");
  t.same(sourceOf('bare').directory, { exclude: `{${own}}` });
  t.equal(sourceOf('chart').directory, undefined);
  t.equal(sourceOf('elsewhere').directory, undefined);

  // What Argo CD would apply, read the same way: only the manifests.
  const rendered = await renderManifests(repo, apps, {
    platformDir: dir,
    cacheDir: path.join(dir, '.cache'),
    repoMap: [],
    env: helmEnv(dir),
    concurrency: 2,
    ociPlainHttp: false,
  });
  const names = (app: string): string[] => rendered.apps.find((a) => a.rendered.app.name === app)!.objects.map((o) => `${o.kind}/${o.metadata.name}`);
  t.same(names('plain'), ['ConfigMap/plain']);
  t.same(names('bare'), ['ConfigMap/bare']);
  t.same(names('chart'), ['ConfigMap/chart']);
});
