import t from 'tap';
import { renderPlatform } from '../../src/core/render/render-platform.js';
import { openLocalRepo } from '../../src/sources/repo-files.js';
import { GitopsError } from '../../src/core/errors.js';

// The keys import needs to keep Applications as they were: `name`, `finalizer`, and a full Application's `gitops-k8s` block.
t.test("an app's name pattern and finalizer: false, per cluster too", async (t) => {
  const dir = t.testdir({
    clusters: { 'a.yaml': 'provider: generic\nserver: https://a.example.com\n', 'b.yaml': 'provider: generic\nserver: https://b.example.com\n' },
    apps: {
      web: {
        'api.yaml':
          'repoURL: https://github.com/acme/api.git\npath: deploy\nname: "legacy-{{app}}-{{cluster.name}}"\nfinalizer: false\n' +
          'overrides: { clusters: { b: { name: api-on-b, finalizer: true } } }\n',
        'plain.yaml': 'repoURL: https://github.com/acme/api.git\npath: deploy\nclusters: [a]\n',
      },
    },
  });
  const apps = renderPlatform(openLocalRepo(dir)).apps.map((r) => r.application);
  t.same(
    apps.map((a) => [a.metadata.name, a.metadata.finalizers]),
    [
      ['api-on-b', ['resources-finalizer.argocd.argoproj.io']],
      ['legacy-api-a', []],
      ['web-plain-a', ['resources-finalizer.argocd.argoproj.io']],
    ],
  );
});

t.test("a full Application's gitops-k8s block chooses its clusters, name and finalizer", async (t) => {
  const dir = t.testdir({
    clusters: { 'a.yaml': 'provider: generic\nserver: https://a.example.com\n', 'b.yaml': 'provider: generic\nserver: https://b.example.com\n' },
    apps: {
      vault: {
        'cfg.yaml': [
          'apiVersion: argoproj.io/v1alpha1',
          'kind: Application',
          'metadata: { name: ignored }',
          'spec:',
          '  project: default',
          '  source: { repoURL: https://github.com/acme/v.git, path: ., plugin: { name: avp } }',
          'gitops-k8s:',
          '  clusters: [b]',
          '  name: vault-config',
          '  finalizer: false',
          '',
        ].join('\n'),
      },
    },
  });
  const apps = renderPlatform(openLocalRepo(dir)).apps.map((r) => r.application);
  t.same(
    apps.map((a) => [a.metadata.name, a.metadata.finalizers, (a.spec.destination as { server: string }).server]),
    [['vault-config', [], 'https://b.example.com']],
  );
  t.notOk('gitops-k8s' in apps[0]!.spec);
});

t.test('the gitops-k8s block is checked like an app file', async (t) => {
  const dir = t.testdir({
    clusters: { 'a.yaml': 'provider: generic\nserver: https://a.example.com\n' },
    apps: {
      x: {
        'y.yaml': 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec: { source: { repoURL: r, path: . } }\ngitops-k8s:\n  finalizr: false\n',
        'z.yaml': 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec: { source: { repoURL: r, path: . } }\ngitops-k8s:\n  clusters: [nope]\n',
      },
    },
  });
  let error: unknown;
  try {
    renderPlatform(openLocalRepo(dir));
  } catch (caught) {
    error = caught;
  }
  t.ok(error instanceof GitopsError);
  const lines = (error as GitopsError).message.split('\n');
  t.ok(
    lines.some((l) => /^apps\/x\/y\.yaml:\d+: gitops-k8s.*finalizr/.test(l)),
    lines.join('\n'),
  );
  t.ok(
    lines.some((l) => /^apps\/x\/z\.yaml:\d+: gitops-k8s\.clusters\[0\]: unknown cluster "nope"/.test(l)),
    lines.join('\n'),
  );
});
