import t from 'tap';
import { formatProblem } from '../../src/core/errors.js';
import { lintPlatform } from '../../src/core/render/render-platform.js';
import { openMemoryRepo, type MemoryEntry } from '../../src/sources/repo-files.js';
import { lintProblems, problemAt, problemsOf } from '../fixtures/core-support/support.js';

t.test('unknown and misspelt keys are errors with a "did you mean" in every kind of file', async (t) => {
  const problems = lintProblems('core-unknown-keys');
  const expect: [string, string, number, string][] = [
    ['gitops.yaml', 'targetRevison', 2, 'targetRevision'],
    ['clusters/prod.yaml', 'lables', 3, 'labels'],
    ['apps/web/namespace.yaml', 'defualts', 1, 'defaults'],
    ['apps/web/typo.yaml', 'chrat', 2, 'chart'],
    ['apps/web/typo.yaml', 'valeus', 4, 'values'],
    ['apps/web/typo.yaml', 'syncPolicy.automated.prnue', 8, 'prune'],
  ];
  for (const [file, field, line, suggestion] of expect) {
    const p = problemAt(problems, file, field);
    t.equal(p.code, 'GK_UNKNOWN_KEY', `${file} ${field}`);
    t.equal(p.line, line, `${file} ${field} line`);
    t.equal(p.message, `unknown key (did you mean "${suggestion}"?)`);
  }
  t.equal(
    formatProblem(problemAt(problems, 'apps/web/typo.yaml', 'chrat')),
    'apps/web/typo.yaml:2: chrat: unknown key (did you mean "chart"?)',
    'reads file:line: field: problem',
  );
});

t.test('values of the wrong type say what they must be, at their line', async (t) => {
  const problems = lintProblems('core-unknown-keys');
  const version = problemAt(problems, 'apps/web/wrongtype.yaml', 'version');
  t.equal(version.line, 3);
  t.equal(version.message, 'must be a string (got 1.2); quote it so YAML keeps it as written');
  t.equal(problemAt(problems, 'apps/web/wrongtype.yaml', 'syncWave').message, 'must be a whole number (got "two")');
  // A list selector with a bad name reports the name, not the map form it might have been.
  const selector = problemAt(problems, 'apps/web/wrongtype.yaml', 'clusters[0]');
  t.equal(selector.line, 5);
  t.match(selector.message, /must be a DNS-1123 label/);
  t.notOk(
    problems.some((p) => p.file === 'apps/web/wrongtype.yaml' && p.field === 'clusters'),
    'no second error for the other form',
  );
});

t.test('a chart without a pinned version, or with a range, is an error', async (t) => {
  const problems = lintProblems('core-unpinned');
  t.equal(problemAt(problems, 'apps/web/none.yaml').code, 'GK_UNPINNED_CHART');
  t.match(problemAt(problems, 'apps/web/none.yaml').message, /has no version/);
  for (const [name, version] of [
    ['caret', '^1.2.0'],
    ['gte', '>=1.0.0'],
    ['wild', '1.x'],
    ['latest', 'latest'],
  ]) {
    const p = problemAt(problems, `apps/web/${name}.yaml`, 'version');
    t.equal(p.code, 'GK_UNPINNED_CHART', name);
    t.equal(p.line, 3, `${name} line`);
    t.match(p.message, version);
  }
  const override = problemAt(problems, 'apps/web/override.yaml', 'overrides.providers.generic.version');
  t.equal(override.code, 'GK_UNPINNED_CHART');
  t.equal(override.line, 7);
  t.notOk(
    problems.some((p) => p.file === 'apps/web/exact.yaml'),
    'pre-release and build metadata are exact',
  );
  t.equal(problems.length, 6);
});

t.test('an unknown template variable names file, line and field with a suggestion', async (t) => {
  const problems = lintProblems('core-template-errors');
  const host = problemAt(problems, 'apps/web/web.yaml', 'values.ingress.hosts[0]');
  t.equal(host.code, 'GK_TEMPLATE');
  t.equal(host.line, 7);
  t.equal(
    host.message,
    'unknown template variable "cluster.vars.domian" (did you mean "cluster.vars.domain"?) (clusters prod, staging)',
    'one problem naming every cluster',
  );
  const storage = problemAt(problems, 'apps/web/web.yaml', 'values.storage');
  t.equal(storage.line, 8);
  t.match(storage.message, '(did you mean "provider.storageClass"?)');
  // In values.yaml the line is the one in that file.
  const tag = problemAt(problems, 'apps/web/api/values.yaml', 'values.image.tag');
  t.equal(tag.line, 2);
  t.match(tag.message, /"vars.tag"/);
});

t.test('an unknown provider is an error wherever it is named', async (t) => {
  const problems = lintProblems('core-unknown-provider');
  const cluster = problemAt(problems, 'clusters/do.yaml', 'provider');
  t.equal(cluster.code, 'GK_UNKNOWN_PROVIDER');
  t.equal(cluster.line, 1);
  t.match(cluster.message, '(did you mean "digitalocean"?)');
  t.equal(problemAt(problems, 'apps/web/web.yaml', 'clusters.providers[0]').code, 'GK_UNKNOWN_PROVIDER');
  const override = problemAt(problems, 'apps/web/web.yaml', 'overrides.providers.akss');
  t.equal(override.line, 8);
  t.match(override.message, '(did you mean "aks"?)');
});

t.test('an unknown cluster is an error in clusters.names, overrides, values.<x>.yaml and defaults', async (t) => {
  const problems = lintProblems('core-unknown-cluster');
  const names = problemAt(problems, 'apps/web/web.yaml', 'clusters.names[0]');
  t.equal(names.code, 'GK_UNKNOWN_CLUSTER');
  t.equal(names.line, 5);
  t.match(names.message, '"prod-eu1" (did you mean "prod-eu"?)');
  const override = problemAt(problems, 'apps/web/web.yaml', 'overrides.clusters.stagging');
  t.equal(override.code, 'GK_UNKNOWN_CLUSTER');
  t.equal(override.line, 8);
  const values = problemAt(problems, 'apps/web/api/values.prod-ue.yaml');
  t.equal(values.code, 'GK_UNKNOWN_CLUSTER');
  t.match(values.message, '(did you mean "prod-eu"?)');
  const ns = problemAt(problems, 'apps/web/namespace.yaml', 'defaults.clusters.names[0]');
  t.equal(ns.code, 'GK_UNKNOWN_CLUSTER');
  t.equal(ns.line, 3);
  const repo = problemAt(problems, 'gitops.yaml', 'defaults.clusters.exclude[0]');
  t.equal(repo.code, 'GK_UNKNOWN_CLUSTER');
  t.equal(repo.line, 3);
  t.match(repo.message, '(did you mean "staging"?)');
  t.equal(problems.length, 5);
});

t.test('an app defined twice (x.yaml and x/) is an error naming both', async (t) => {
  const problems = lintProblems('core-app-collision');
  t.equal(problems.length, 1);
  t.equal(problems[0]!.code, 'GK_NAME_COLLISION');
  t.equal(problems[0]!.file, 'apps/web/x.yaml');
  t.match(problems[0]!.message, 'apps/web/x');
});

t.test('Application names that collide after naming are an error, never a silent overwrite', async (t) => {
  // apps/a-b/c and apps/a/b-c both become a-b-c-in-cluster.
  const problems = lintProblems('core-name-collision');
  t.equal(problems.length, 1);
  t.equal(problems[0]!.code, 'GK_NAME_COLLISION');
  t.match(problems[0]!.message, '"a-b-c-in-cluster"');
  t.match(problems[0]!.message, /apps\/a-b\/c\.yaml|apps\/a\/b-c\.yaml/);
});

t.test('dependsOn cycles, self-dependencies and unknown dependencies are errors', async (t) => {
  const problems = lintProblems('core-depends-errors');
  const cycles = problems.filter((p) => p.code === 'GK_DEPENDENCY_CYCLE');
  t.equal(cycles.length, 2, 'the a-b-c cycle once, and e on itself');
  const cycle = cycles.find((p) => p.message.includes('->'))!;
  t.match(cycle.message, 'web/a -> web/b -> web/c -> web/a');
  t.equal(cycle.line, 4);
  t.equal(problemAt(problems, 'apps/web/e.yaml').code, 'GK_DEPENDENCY_CYCLE');
  const unknown = problemAt(problems, 'apps/web/d.yaml', 'dependsOn[0]');
  t.equal(unknown.code, 'GK_UNKNOWN_DEPENDENCY');
  t.match(unknown.message, '(did you mean "observe/eck-operator"?)');
});

t.test('lint reports every problem of a repo with many defects in one pass', async (t) => {
  const problems = lintProblems('core-many-defects');
  const got = problems.map((p) => `${p.code} ${p.file}:${p.line ?? ''}`).sort();
  t.same(got, [
    'GK_DEPENDENCY_CYCLE apps/web/loop-a.yaml:4',
    'GK_INVALID_YAML apps/web/broken.yaml:2',
    'GK_PATH_ESCAPE apps/web/escape.yaml:1',
    'GK_TEMPLATE apps/web/template.yaml:5',
    'GK_UNKNOWN_CLUSTER apps/web/nowhere.yaml:4',
    'GK_UNKNOWN_KEY apps/web/typo.yaml:4',
    'GK_UNPINNED_CHART apps/web/unpinned.yaml:2',
  ]);
  t.notOk(
    problems.some((p) => p.file === 'apps/web/needs-broken.yaml'),
    'depending on a broken app is not a second error',
  );
});

t.test('settings and folder mistakes: shared project names, bad naming templates, empty clusters/, manifests as apps', async (t) => {
  const file = (p: string, text: string): MemoryEntry => ({ path: p, type: 'file', content: Buffer.from(text) });
  const chart = 'repoURL: https://charts.example.com\nchart: c\nversion: 1.0.0\n';
  const lint = (entries: MemoryEntry[]) => problemsOf(() => lintPlatform(openMemoryRepo('m', entries)));

  const shared = lint([file('gitops.yaml', 'naming:\n  project: platform\n'), file('apps/a/x.yaml', chart), file('apps/b/y.yaml', chart)]);
  t.equal(shared.length, 1);
  t.equal(shared[0]!.code, 'GK_NAME_COLLISION');
  t.match(shared[0]!.message, 'AppProject name "platform" is also the project of apps/a/');

  const naming = lint([file('gitops.yaml', 'naming:\n  application: "{{cluster.nmae}}-{{app}}"\n  project: "{{namspace}}"\n'), file('apps/a/x.yaml', chart)]);
  t.same(naming.map((p) => `${p.file}:${p.line}: ${p.field}`).sort(), ['gitops.yaml:2: naming.application', 'gitops.yaml:3: naming.project']);
  t.match(naming.find((p) => p.field === 'naming.application')!.message, '(did you mean "cluster.name"?)');

  const empty = openMemoryRepo('m', [file('apps/a/x.yaml', chart)]);
  t.ok(empty.kind('apps'), 'sanity');
  const noClusters = problemsOf(() =>
    lintPlatform({ ...empty, kind: (p: string) => (p === 'clusters' ? 'dir' : empty.kind(p)), list: (p: string) => (p === 'clusters' ? [] : empty.list(p)) }),
  );
  t.equal(problemAt(noClusters, 'clusters').code, 'GK_NOT_FOUND');

  const manifest = lint([file('apps/a/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n'), file('apps/a/x.yaml', chart)]);
  const p = problemAt(manifest, 'apps/a/cm.yaml', 'kind');
  t.equal(p.line, 2);
  t.match(p.message, 'is a Kubernetes ConfigMap, not an app definition');

  const noSource = lint([file('apps/a/x.yaml', 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: x\nspec:\n  project: default\n')]);
  t.equal(problemAt(noSource, 'apps/a/x.yaml', 'spec').line, 6);

  const emptyFolder = lint([file('apps/a/x.yaml', chart), file('apps/a/y/values.yaml', 'a: 1\n')]);
  t.match(problemAt(emptyFolder, 'apps/a/y').message, 'holds no app.yaml, Chart.yaml, kustomization.yaml or manifests');

  const noApps = lint([file('gitops.yaml', 'vars: {}\n'), file('apps/a/namespace.yaml', 'labels: {}\n')]);
  t.equal(problemAt(noApps, 'apps').code, 'GK_NO_APPS', 'a repo with no apps is an error, never an empty list');
});

t.test('a broken cluster or provider file is reported once, not again where it is named', async (t) => {
  const file = (p: string, text: string): MemoryEntry => ({ path: p, type: 'file', content: Buffer.from(text) });
  const problems = problemsOf(() =>
    lintPlatform(
      openMemoryRepo('m', [
        file('providers/onprem.yaml', 'storageClass: [unclosed\n'),
        file('clusters/dc.yaml', 'provider: onprem\nserver: https://dc.example.com\n'),
        file('clusters/typo.yaml', 'provder: generic\n'),
        file('clusters/ok.yaml', 'provider: generic\n'),
        file(
          'apps/web/x.yaml',
          'repoURL: https://c.example.com\nchart: x\nversion: 1.0.0\nclusters:\n  names: [dc, typo, ok]\n  providers: [onprem, generic]\n' +
            'overrides:\n  clusters:\n    typo: {}\n',
        ),
        file('apps/web/y/app.yaml', 'repoURL: https://c.example.com\nchart: y\nversion: 1.0.0\n'),
        file('apps/web/y/values.onprem.yaml', 'a: 1\n'),
        file('apps/web/y/values.typo.yaml', 'a: 1\n'),
      ]),
    ),
  );
  t.same([...new Set(problems.map((p) => p.file))].sort(), ['clusters/typo.yaml', 'providers/onprem.yaml']);
});
