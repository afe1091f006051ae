import t from 'tap';
import { lintPlatform, renderPlatform } from '../../src/render-platform.js';
import { openMemoryRepo, type MemoryEntry } from '../../src/repo-files.js';
import { problemAt, problemsOf } from '../fixtures/core-support/support.js';

const file = (p: string, text: string): MemoryEntry => ({ path: p, type: 'file', content: Buffer.from(text) });
const chart = 'repoURL: https://charts.example.com\nchart: c\nversion: 1.0.0\n';
const lint = (entries: MemoryEntry[]) => problemsOf(() => lintPlatform(openMemoryRepo('m', entries)));

t.test('non-finite numbers are a lint error at their file, line and field, in every kind of file', async (t) => {
  const entries = [
    file('gitops.yaml', 'repoURL: https://git.example.com/p.git\nvars:\n  ratio: .nan\n'),
    file('apps/web/api.yaml', `${chart}values:\n  limit: .inf\n  list: [1, -.Inf]\n`),
  ];
  const problems = lint(entries);
  const limit = problemAt(problems, 'apps/web/api.yaml', 'values.limit');
  t.equal(limit.code, 'GK_INVALID_VALUE');
  t.equal(limit.line, 5);
  t.match(limit.message, 'must be a finite number (got .inf)');
  t.match(problemAt(problems, 'apps/web/api.yaml', 'values.list[1]').message, 'got -.inf');
  t.equal(problemAt(problems, 'gitops.yaml', 'vars.ratio').line, 3);
  t.throws(() => renderPlatform(openMemoryRepo('m', entries)), { name: 'GitopsError' }, 'render refuses it as lint does, no null in the output');
});

t.test('__proto__ keys are refused in every layer, never dropped or made a prototype', async (t) => {
  const problems = lint([
    file('apps/web/namespace.yaml', 'defaults:\n  values:\n    base: 1\nvars:\n  __proto__:\n    polluted: yes\n'),
    file('apps/web/api.yaml', `${chart}values:\n  __proto__:\n    kept: 1\n`),
  ]);
  const values = problemAt(problems, 'apps/web/api.yaml', 'values.__proto__');
  t.equal(values.code, 'GK_INVALID_VALUE');
  t.equal(values.line, 5);
  t.match(values.message, 'the key __proto__ is refused');
  t.equal(problemAt(problems, 'apps/web/namespace.yaml', 'vars.__proto__').line, 5);
});

t.test('null removes any key of syncPolicy a lower layer or the built-in default set', async (t) => {
  const platform = renderPlatform(openMemoryRepo('m', [
    file('apps/web/namespace.yaml', 'defaults:\n  syncPolicy:\n    retry: { limit: 3, backoff: { duration: 5s, factor: 2 } }\n'),
    file('apps/web/api.yaml', `${chart}syncPolicy:\n  automated: { prune: null }\n  retry: { limit: null, backoff: { factor: null } }\n`),
  ]));
  t.same(platform.apps[0]!.application.spec.syncPolicy, {
    automated: { selfHeal: true },
    syncOptions: ['CreateNamespace=true'],
    retry: { backoff: { duration: '5s' } },
  });
});

t.test('two cluster files with one Argo CD destination are an error naming both', async (t) => {
  const problems = lint([
    file('clusters/a.yaml', 'provider: kind\n'),
    file('clusters/b.yaml', 'provider: generic\nlabels: { env: dev }\n'),
    file('clusters/c.yaml', 'provider: eks\nserver: https://eks.example.com/\n'),
    file('clusters/d.yaml', 'provider: eks\nserver: https://EKS.example.com\n'),
    file('clusters/e.yaml', 'provider: gke\nname: prod\n'),
    file('clusters/f.yaml', 'provider: gke\nname: prod\n'),
    file('clusters/g.yaml', 'provider: gke\nname: other\n'),
    file('apps/web/api.yaml', chart),
  ]);
  t.same(problems.map((p) => `${p.code} ${p.file}:${p.line ?? ''} ${p.field ?? ''}`), [
    'GK_NAME_COLLISION clusters/b.yaml: ',
    'GK_NAME_COLLISION clusters/d.yaml:2 server',
    'GK_NAME_COLLISION clusters/f.yaml:2 name',
  ]);
  t.match(problemAt(problems, 'clusters/b.yaml').message, 'server https://kubernetes.default.svc (the default without server or name) is also the destination of clusters/a.yaml');
  t.match(problemAt(problems, 'clusters/f.yaml').message, 'Argo CD cluster name "prod" is also the destination of clusters/e.yaml');
});
