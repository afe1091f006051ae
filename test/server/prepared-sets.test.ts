import t from 'tap';
import { openLocalRepo, renderPlatform, selectOutput } from '../../src/index.js';
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
  // Tiny chunks put every set in a chunk of its own, so runs break at chunk edges too.
  for (const { chunkBytes, eager } of [{ chunkBytes: 1, eager: false }, { chunkBytes: 4 * 1024 * 1024, eager: false }, { chunkBytes: 4 * 1024 * 1024, eager: true }]) {
    const prepared = prepareSets(platform, '', { chunkBytes, eager });
    t.equal(prepared.count, platform.apps.length);
    for (const parameters of selections) {
      const filters = filtersOf(parameters, platform);
      const expected = JSON.stringify({ output: { parameters: selectOutput(platform, filters).apps.map((r) => parameterSetOf(r, '')) } });
      const body = Buffer.concat(replyParts(prepared, selectSets(prepared, filters))).toString('utf8');
      t.equal(body, expected, `${JSON.stringify(parameters)} with chunks of ${chunkBytes} bytes`);
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

t.test('clusters a reply asks for are serialized at once, the others in the background, then the model is let go', async (t) => {
  const dir = makeWorkTree(platformFiles());
  const platform = renderPlatform(openLocalRepo(dir));
  const prepared = prepareSets(platform, '');
  const kind = prepared.clusters.findIndex((c) => c.name === 'kind-dev');
  const body = Buffer.concat(replyParts(prepared, selectSets(prepared, { clusters: ['kind-dev'] }))).toString('utf8');
  t.equal(prepared.chunks.length, 1, 'only the cluster asked for is serialized before the reply');
  t.equal(JSON.parse(body).output.parameters.length, prepared.clusterOf.filter((c) => c === kind).length);
  let settled = false;
  void prepared.complete.then(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  await prepared.complete;
  t.ok(settled);
  t.equal(prepared.chunks.length, 2, 'the other cluster followed without being asked for');
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
