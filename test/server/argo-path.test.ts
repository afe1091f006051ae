import t from 'tap';
import { directoryPathParams, filePathParams, goPathBase, goPathDir, sanitizeName } from '../../src/server/generator/argo-path.js';
import { goWouldMangle } from '../../src/server/generator/parameters.js';

// Expected values follow argo-cd applicationset/generators/git.go (goTemplate
// mode) and applicationset/utils SanitizeName, as their tests spell them.
t.test('directories get path, basename, basenameNormalized and segments as the Git directory generator computes them', async (t) => {
  t.same(directoryPathParams('app_3'), { path: 'app_3', basename: 'app_3', basenameNormalized: 'app-3', segments: ['app_3'] });
  t.same(directoryPathParams('p1/p2/app3'), { path: 'p1/p2/app3', basename: 'app3', basenameNormalized: 'app3', segments: ['p1', 'p2', 'app3'] });
  t.same(directoryPathParams('apps/observe/Elastic_Search.v8'), {
    path: 'apps/observe/Elastic_Search.v8',
    basename: 'Elastic_Search.v8',
    basenameNormalized: 'elastic-search.v8',
    segments: ['apps', 'observe', 'Elastic_Search.v8'],
  });
});

t.test('files get the folder as path plus filename and filenameNormalized, as the Git files generator computes them', async (t) => {
  t.same(filePathParams('cluster-config/engineering/prod/config.json'), {
    path: 'cluster-config/engineering/prod',
    basename: 'prod',
    filename: 'config.json',
    basenameNormalized: 'prod',
    filenameNormalized: 'config.json',
    segments: ['cluster-config', 'engineering', 'prod'],
  });
  t.same(filePathParams('apps/kube-system/Metrics_Server.yaml').filenameNormalized, 'metrics-server.yaml');
  t.same(filePathParams('top.yaml'), {
    path: '.',
    basename: '.',
    filename: 'top.yaml',
    basenameNormalized: '',
    filenameNormalized: 'top.yaml',
    segments: ['.'],
  });
});

t.test("SanitizeName lower-cases, replaces what DNS names may not hold, trims '-' and '.', and cuts at 253", async (t) => {
  t.equal(sanitizeName('My App'), 'my-app');
  t.equal(sanitizeName('--x.y--'), 'x.y');
  t.equal(sanitizeName('.hidden_'), 'hidden');
  t.equal(sanitizeName('Ünïcode'), 'n-code');
  t.equal(sanitizeName('a'.repeat(300)).length, 253);
});

t.test("Go's path.Base and path.Dir", async (t) => {
  t.equal(goPathBase(''), '.');
  t.equal(goPathBase('a/b/'), 'b');
  t.equal(goPathBase('///'), '/');
  t.equal(goPathDir('a/b/c.yaml'), 'a/b');
  t.equal(goPathDir('c.yaml'), '.');
  t.equal(goPathDir('/c.yaml'), '/');
});

t.test('numbers that %v prints in exponent form are the ones made strings', async (t) => {
  for (const n of [1e6, 1234567, -2e6, 1e21, 0.00001, 1e-7]) t.ok(goWouldMangle(n), `${n}`);
  for (const n of [0, 3, 999999, 123456, 0.5, 0.0001, -42]) t.notOk(goWouldMangle(n), `${n}`);
});
