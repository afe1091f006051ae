import t from 'tap';
import { loadPlatformRepo, openLocalRepo, renderPlatform, selectOutput } from '../../src/index.js';
import { parameterSetOf } from '../../src/server/parameters.js';
import { prepareSets, replyParts, selectSets } from '../../src/server/prepared-sets.js';
import { filtersOf } from '../../src/server/request.js';
import { testApp } from '../fixtures/server-support/app.js';
import { makeWorkTree, platformFiles } from '../fixtures/server-support/git-repos.js';

const selections: Record<string, unknown>[] = [
  {},
  { cluster: 'kind-dev' },
  { cluster: 'https://1a2b.k8s.ondigitalocean.com' },
  { clusters: 'kind-dev,do-ams3', namespaces: ['observe'] },
  { namespace: 'observe', clusterLabels: 'env=prod' },
  { labels: { 'gitops-k8s.io/app': 'guestbook' } },
  { labels: 'gitops-k8s.io/app=guestbook', cluster: 'kind-dev' },
  { clusters: ['do-ams3', 'kind-dev'], namespaces: 'kube-system,guestbook' },
];

t.test('replies concatenated from pre-serialized sets are byte for byte the JSON of the selected sets, and fail like selectOutput', async (t) => {
  const dir = makeWorkTree(platformFiles());
  const platform = renderPlatform(openLocalRepo(dir));
  for (const eager of [false, true]) {
    const prepared = prepareSets(platform.repo, '', { eager });
    for (const parameters of selections) {
      const filters = filtersOf(parameters, platform);
      const expected = JSON.stringify({ output: { parameters: selectOutput(platform, filters).apps.map((r) => parameterSetOf(r, '')) } });
      const body = Buffer.concat(replyParts(prepared, selectSets(prepared, filters))).toString('utf8');
      t.equal(body, expected, `${JSON.stringify(parameters)}${eager ? ', every cluster rendered at once' : ''}`);
    }
    for (const parameters of [{ cluster: 'nope' }, { namespace: 'nope' }, { namespace: 'observe', cluster: 'kind-dev' }, { labels: { 'gitops-k8s.io/app': 'nope' } }]) {
      const filters = filtersOf(parameters, platform);
      let wanted: unknown;
      try {
        selectOutput(platform, filters);
      } catch (error) {
        wanted = error;
      }
      t.ok(wanted, `selectOutput refuses ${JSON.stringify(parameters)}`);
      t.throws(() => selectSets(prepared, filters), { code: (wanted as { code: string }).code, message: (wanted as Error).message }, `so do the prepared sets`);
    }
    await prepared.complete;
    const whole = JSON.stringify({ output: { parameters: platform.apps.map((r) => parameterSetOf(r, '')) } });
    t.equal(Buffer.concat(replyParts(prepared, selectSets(prepared, {}))).toString('utf8'), whole, 'every cluster serialized, in the background or at once');
  }
});

t.test('clusters a reply asks for are rendered at once, the others in the background, then the repo is let go', async (t) => {
  const dir = makeWorkTree(platformFiles());
  const platform = renderPlatform(openLocalRepo(dir));
  const prepared = prepareSets(platform.repo, '');
  const body = Buffer.concat(replyParts(prepared, selectSets(prepared, { clusters: ['kind-dev'] }))).toString('utf8');
  t.equal(prepared.perCluster.filter(Boolean).length, 1, 'only the cluster asked for is rendered before the reply');
  t.equal(JSON.parse(body).output.parameters.length, platform.apps.filter((r) => r.cluster.name === 'kind-dev').length);
  let settled = false;
  void prepared.complete.then(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  await prepared.complete;
  t.ok(settled);
  t.equal(prepared.perCluster.filter(Boolean).length, 2, 'the other cluster followed without being asked for');
});

t.test('a name two clusters generate fails the replies that hold both at once, and every reply once all clusters are rendered', async (t) => {
  // Cluster "b-c" with app "a" and cluster "c" with app "a-b" both make "apps-a-b-c".
  const dir = makeWorkTree({
    'clusters/b-c.yaml': 'provider: kind\nserver: https://b-c.example.com\n',
    'clusters/c.yaml': 'provider: kind\nserver: https://c.example.com\n',
    'apps/apps/a.yaml': 'repoURL: https://charts.example.com\nchart: a\nversion: 1.0.0\nclusters: [b-c]\n',
    'apps/apps/a-b.yaml': 'repoURL: https://charts.example.com\nchart: a-b\nversion: 1.0.0\nclusters: [c]\n',
  });
  t.throws(() => renderPlatform(openLocalRepo(dir)), { code: 'GK_NAME_COLLISION' }, 'render refuses the repo');
  const prepared = prepareSets(loadPlatformRepo(openLocalRepo(dir)), '');
  t.throws(() => selectSets(prepared, {}), { code: 'GK_NAME_COLLISION', message: /apps-a-b-c/ }, 'a reply with both clusters is refused');
  await prepared.complete;
  t.throws(() => selectSets(prepared, { clusters: ['c'] }), { code: 'GK_NAME_COLLISION' }, 'so is a one-cluster reply, once the collision is known');
});

t.test('a template error on one cluster fails the replies that need that cluster, never with fewer sets', async (t) => {
  const dir = makeWorkTree({
    'clusters/good.yaml': 'provider: kind\nserver: https://good.example.com\nvars:\n  host: good.example.com\n',
    'clusters/bad.yaml': 'provider: kind\nserver: https://bad.example.com\n',
    'apps/web/site.yaml': 'repoURL: https://charts.example.com\nchart: site\nversion: 1.0.0\nvalues:\n  host: "{{cluster.vars.host}}"\n',
  });
  const prepared = prepareSets(loadPlatformRepo(openLocalRepo(dir)), '');
  t.throws(() => selectSets(prepared, {}), { code: 'GK_TEMPLATE', message: /cluster\.vars\.host/ });
  t.throws(() => selectSets(prepared, { clusters: ['bad'] }), { code: 'GK_TEMPLATE' });
  t.equal(selectSets(prepared, { clusters: ['good'] }).length, 1, 'the cluster where every app renders is answered');
  await prepared.complete;
  t.throws(() => selectSets(prepared, {}), { code: 'GK_TEMPLATE' }, 'still refused after the background renders');
});

t.test('the server keeps serialized sets, not the rendered model: getPlatform renders on demand in a small cache of its own', async (t) => {
  const dir = makeWorkTree(platformFiles());
  const { app, call } = await testApp({ repo: dir });
  t.teardown(() => app.close());
  t.equal((await call({ cluster: 'kind-dev' })).statusCode, 200);
  t.equal((await call({})).statusCode, 200);
  const first = await app.gitops.getPlatform({});
  const second = await app.gitops.getPlatform({});
  t.equal(second.platform, first.platform, 'the second caller reuses the rendered model');
  t.equal(first.platform.apps.length, 5);
  const metrics = (await app.inject({ url: '/metrics' })).body;
  t.match(metrics, /gitops_k8s_cache_requests_total\{cache="model",result="miss"\} 1\n/, 'the sets were built once');
  t.match(metrics, /gitops_k8s_cache_requests_total\{cache="platform",result="miss"\} 1\n/, 'the model was not kept by getparams, so getPlatform rendered it');
  t.match(metrics, /gitops_k8s_cache_requests_total\{cache="platform",result="hit"\} 1\n/);
});
