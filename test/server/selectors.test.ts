import t from 'tap';
import { clusterNamesOf } from '../../src/server/generator/prepared-sets.js';
import type { ParameterSet } from '../../src/server/generator/parameters.js';
import { testApp } from '../fixtures/server-support/app.js';
import { makeWorkTree, platformFiles } from '../fixtures/server-support/git-repos.js';

type Reply = { output: { parameters: ParameterSet[] } };

const clustersOf = (res: { json: () => unknown }): string[] => [...new Set((res.json() as Reply).output.parameters.map((s) => s.cluster.name))].sort();

t.test('an empty or blank selector is a 400 naming the parameter, never the whole reply', async (t) => {
  const { app, call } = await testApp({ repo: makeWorkTree(platformFiles()) });
  t.teardown(() => app.close());
  const all = await call({});
  t.equal(all.statusCode, 200);
  const cases: [Record<string, unknown>, string][] = [
    [{ cluster: '' }, 'cluster'],
    [{ cluster: '   ' }, 'cluster'],
    [{ clusters: [] }, 'clusters'],
    [{ clusters: '' }, 'clusters'],
    [{ clusters: ',,,' }, 'clusters'],
    [{ clusters: [''] }, 'clusters'],
    [{ clusters: 'kind-dev,,do-ams3' }, 'clusters'],
    [{ clusters: ['kind-dev', ' '] }, 'clusters'],
    [{ namespace: '' }, 'namespace'],
    [{ namespaces: [''] }, 'namespaces'],
    [{ namespaces: ' , ' }, 'namespaces'],
    [{ labels: '' }, 'labels'],
    [{ labels: {} }, 'labels'],
    [{ labels: ',' }, 'labels'],
    [{ labels: { ' ': 'x' } }, 'labels'],
    [{ clusterLabels: '' }, 'clusterLabels'],
    [{ clusterLabels: {} }, 'clusterLabels'],
  ];
  for (const [parameters, field] of cases) {
    const res = await call(parameters);
    t.equal(res.statusCode, 400, `${JSON.stringify(parameters)}: 400`);
    const body = res.json() as { code: string; message: string };
    t.equal(body.code, 'GK_BAD_REQUEST');
    t.match(body.message, new RegExp(`^input\\.parameters\\.${field}: `), `${JSON.stringify(parameters)}: names ${field}`);
  }
  const several = await call({ cluster: '', namespaces: [], labels: {} });
  t.equal(several.statusCode, 400);
  t.same(
    (several.json() as { message: string }).message.split('\n').map((l) => l.split(':')[0]),
    ['input.parameters.cluster', 'input.parameters.labels', 'input.parameters.namespaces'],
    'every empty selector at once',
  );
});

t.test('spellings of one selection share one cached reply', async (t) => {
  const { app, call } = await testApp({ repo: makeWorkTree(platformFiles()) });
  t.teardown(() => app.close());
  const first = await call({ clusters: 'kind-dev, do-ams3', labels: 'env=x' });
  t.equal(first.statusCode, 422, 'no app has that label');
  const spellings = [{ clusters: ['do-ams3', 'kind-dev'] }, { clusters: ' kind-dev ,do-ams3 ' }, { cluster: 'kind-dev', clusters: ['do-ams3', 'kind-dev'] }];
  const bodies = [];
  for (const parameters of spellings) bodies.push((await call(parameters)).body);
  t.equal(new Set(bodies).size, 1);
  const metrics = (await app.inject({ url: '/metrics' })).body;
  t.match(metrics, /gitops_k8s_cache_requests_total\{cache="reply",result="miss"\} 2\n/, 'the failed one and one for the three spellings');
  t.match(metrics, /gitops_k8s_cache_requests_total\{cache="reply",result="hit"\} 2\n/);
});

t.test('a selector several clusters answer to selects all of them, never the first', async (t) => {
  const files = {
    ...platformFiles(),
    // Two files with one Argo CD name, and two on the in-cluster URL.
    'clusters/hub-a.yaml': 'provider: kind\nname: hub\nlabels: { env: hub }\n',
    'clusters/hub-b.yaml': 'provider: kind\nname: hub\nlabels: { env: hub }\n',
    'clusters/kind-other.yaml': 'provider: kind\nserver: https://kubernetes.default.svc\nlabels: { env: dev }\n',
  };
  const { app, call } = await testApp({ repo: makeWorkTree(files) });
  t.teardown(() => app.close());
  const hub = await call({ cluster: 'hub' });
  if (hub.statusCode === 200) t.same(clustersOf(hub), ['hub-a', 'hub-b'], 'both clusters named hub');
  else t.equal((hub.json() as { statusCode: number }).statusCode >= 400, true, `or refused: ${hub.body}`);
  const inCluster = await call({ cluster: 'https://kubernetes.default.svc' });
  if (inCluster.statusCode === 200) t.same(clustersOf(inCluster), ['kind-dev', 'kind-other'], 'both in-cluster files');
  else t.equal(inCluster.statusCode >= 400, true, `or refused: ${inCluster.body}`);
  const listed = await call({ clusters: ['hub', 'do-ams3'] });
  if (listed.statusCode === 200) t.same(clustersOf(listed), ['do-ams3', 'hub-a', 'hub-b']);
  // Two cluster files with one destination are a lint error now, so the whole repo is refused, naming both.
  const byFile = await call({ cluster: 'hub-b' });
  t.equal(byFile.statusCode, 422, byFile.body);
  t.match(byFile.json(), { code: 'GK_NAME_COLLISION', message: /clusters\/hub-b\.yaml.*clusters\/hub-a\.yaml/s });
});

t.test('the server-side selection maps a name to every cluster that answers to it', (t) => {
  const clusters = [
    { name: 'hub-a', destinationName: 'hub', labels: {} },
    { name: 'hub-b', destinationName: 'hub', labels: {} },
    { name: 'kind-dev', server: 'https://kubernetes.default.svc', labels: {} },
    { name: 'kind-other', server: 'https://kubernetes.default.svc', labels: {} },
  ];
  t.same(clusterNamesOf(['hub'], clusters), ['hub-a', 'hub-b'], 'both clusters named hub');
  t.same(clusterNamesOf(['https://kubernetes.default.svc'], clusters), ['kind-dev', 'kind-other'], 'both in-cluster files');
  t.same(clusterNamesOf(['hub-b'], clusters), ['hub-b'], 'a file name is one cluster');
  t.same(clusterNamesOf(['nope'], clusters), ['nope'], 'an unknown name is kept for the unknown-cluster error');
  t.end();
});
