import t from 'tap';
import { gunzipSync } from 'node:zlib';
import { objectsOf, openLocalRepo, renderPlatform, selectOutput, type Application } from '../../src/index.js';
import { goSafe, type ParameterSet } from '../../src/server/generator/parameters.js';
import { openGitCommit } from '../../src/sources/git/git.js';
import { crdProblemsAll } from '../helpers/crd.js';
import { inReplyOrder } from '../helpers/reply-order.js';
import { testApp, TOKEN } from '../fixtures/server-support/app.js';
import { startGitHttpServer } from '../fixtures/server-support/git-http-server.js';
import { commitFiles, git, makeBareRemote, makeWorkTree, platformFiles, tempDir, writeFiles } from '../fixtures/server-support/git-repos.js';

type Reply = { output: { parameters: ParameterSet[] } };

/** Rebuilds the Application Argo CD would make from a parameter set with a `templatePatch` of the whole spec. */
function applicationFrom(set: ParameterSet, namespace = 'argocd'): Application {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: set.name, namespace, labels: set.labels, annotations: set.annotations, finalizers: ['resources-finalizer.argocd.argoproj.io'] },
    spec: set.spec,
  };
}

t.test('the reply has one set per (app, cluster), shaped for goTemplate, and agrees with render field for field', async (t) => {
  const dir = makeWorkTree(platformFiles());
  const { app, call } = await testApp({ repo: dir });
  t.teardown(() => app.close());
  const res = await call();
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /application\/json/);
  const { parameters } = (res.json() as Reply).output;
  const rendered = renderPlatform(openLocalRepo(dir));
  t.equal(parameters.length, rendered.apps.length);
  t.equal(parameters.length, 5, 'metrics-server and guestbook on 2 clusters, elasticsearch on prod only');
  for (const [i, r] of inReplyOrder(rendered.apps).entries()) {
    const set = parameters[i]!;
    t.equal(set.name, r.application.metadata.name);
    t.equal(set.app, r.app.name);
    t.equal(set.namespace, r.namespace.name);
    t.equal(set.project, r.application.spec.project);
    t.same(set.cluster, {
      name: r.cluster.name,
      server: r.cluster.server,
      provider: r.cluster.provider,
      labels: r.cluster.labels,
      vars: goSafe(r.cluster.vars),
    });
    t.same(set.labels, r.application.metadata.labels);
    t.same(set.annotations, r.application.metadata.annotations);
    t.same(set.spec, r.application.spec, `${set.name}: spec equals render's`);
    t.notOk('values' in set || 'generator' in set, 'reserved keys are left to Argo CD');
  }
  const rebuilt = parameters.map((p) => applicationFrom(p, rendered.apps[0]!.application.metadata.namespace));
  t.same(crdProblemsAll(rebuilt), []);
  t.same(
    rebuilt.map((a) => JSON.stringify(a)),
    inReplyOrder(rendered.apps).map((r) => JSON.stringify(r.application)),
    "an Application templated from a set is render's Application",
  );
});

t.test("a client asking for gzip (Argo CD's Go client does) gets the same reply gzipped", async (t) => {
  const dir = makeWorkTree(platformFiles());
  const { app } = await testApp({ repo: dir });
  t.teardown(() => app.close());
  const ask = (encoding?: string) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/getparams.execute',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...(encoding ? { 'accept-encoding': encoding } : {}) },
      payload: '{}',
    });
  const plain = await ask();
  const zipped = await ask('gzip, deflate');
  t.equal(zipped.statusCode, 200);
  t.equal(zipped.headers['content-encoding'], 'gzip');
  t.equal(gunzipSync(zipped.rawPayload).toString(), plain.body);
  t.equal(plain.headers['content-encoding'], undefined);
});

t.test('numbers Go would print in exponent form are strings in fields templated directly; spec keeps its types for toJson', async (t) => {
  const dir = makeWorkTree({
    ...platformFiles(),
    'clusters/kind-dev.yaml':
      'provider: kind\nserver: https://kubernetes.default.svc\nlabels: { env: dev }\n' +
      'vars: { domain: dev.example.com, maxBytes: 1000000, ratio: 0.00001, replicas: 3, small: 123456 }\n',
    'apps/observe/elasticsearch/values.yaml': 'maxBytes: 1000000\nreplicas: 3\n',
  });
  const { app, call } = await testApp({ repo: dir });
  t.teardown(() => app.close());
  const res = await call({ cluster: 'kind-dev' });
  t.equal(res.statusCode, 200, res.statusCode === 200 ? 'answered' : res.body);
  const set = (res.json() as Reply).output.parameters[0]!;
  t.same(set.cluster.vars, { domain: 'dev.example.com', maxBytes: '1000000', ratio: '0.00001', replicas: 3, small: 123456 });
  const es = ((await call({ namespaces: ['observe'] })).json() as Reply).output.parameters[0]!;
  const values = (es.spec as { source: { helm: { valuesObject: Record<string, unknown> } } }).source.helm.valuesObject;
  t.equal(values.maxBytes, 1000000, 'a Helm value keeps its type');
  t.equal(values.replicas, 3);
});

t.test("the path object is what Argo CD's Git generators compute, including where the platform sits", async (t) => {
  const dir = makeWorkTree(platformFiles('platform/'));
  const { app, call } = await testApp({ repo: `file://${dir}` });
  t.teardown(() => app.close());
  const res = await call({ path: 'platform', revision: 'main' });
  t.equal(res.statusCode, 200, res.statusCode === 200 ? 'answered' : res.body);
  const sets = (res.json() as Reply).output.parameters;
  const es = sets.find((s) => s.app === 'elasticsearch')!;
  t.same(
    es.path,
    {
      path: 'platform/apps/observe/elasticsearch',
      basename: 'elasticsearch',
      basenameNormalized: 'elasticsearch',
      segments: ['platform', 'apps', 'observe', 'elasticsearch'],
    },
    'an app folder: the directory generator',
  );
  const ms = sets.find((s) => s.app === 'metrics-server')!;
  t.same(
    ms.path,
    {
      path: 'platform/apps/kube-system',
      basename: 'kube-system',
      filename: 'metrics-server.yaml',
      basenameNormalized: 'kube-system',
      filenameNormalized: 'metrics-server.yaml',
      segments: ['platform', 'apps', 'kube-system'],
    },
    'an app file: the files generator',
  );
  const files = await openGitCommit(dir, git(dir, 'rev-parse', 'HEAD'), { path: 'platform' });
  const rendered = renderPlatform(files, { repoURL: `file://${dir}`, targetRevision: 'main', pathPrefix: 'platform' });
  t.same(
    sets.map((s) => s.spec),
    inReplyOrder(rendered.apps).map((r) => r.application.spec),
    'render of the same commit and path agrees',
  );
});

t.test('input parameters select clusters (by file name, Argo CD name or server), namespaces and labels', async (t) => {
  const dir = makeWorkTree({
    ...platformFiles(),
    'clusters/registered.yaml': 'provider: gke\nname: gke-prod-registered\nlabels: { env: prod }\nvars: { domain: gke.example.com }\n',
  });
  const { app, call } = await testApp({ repo: dir });
  t.teardown(() => app.close());
  const names = async (parameters: Record<string, unknown>) => {
    const res = await call(parameters);
    t.equal(res.statusCode, 200, res.statusCode === 200 ? 'answered' : res.body);
    return res.statusCode === 200 ? (res.json() as Reply).output.parameters.map((s) => s.name).sort() : [];
  };
  t.same(await names({ cluster: 'kind-dev' }), ['guestbook-guestbook-kind-dev', 'kube-system-metrics-server-kind-dev']);
  t.same(await names({ cluster: 'https://1a2b.k8s.ondigitalocean.com' }), await names({ cluster: 'do-ams3' }), 'a clusters-generator {{.server}}');
  t.same(await names({ cluster: 'gke-prod-registered' }), await names({ cluster: 'registered' }), 'a clusters-generator {{.name}}');
  t.same(await names({ clusters: 'kind-dev,do-ams3', namespaces: ['observe'] }), ['observe-elasticsearch-do-ams3']);
  t.same(await names({ namespace: 'observe', clusterLabels: 'env=prod' }), ['observe-elasticsearch-do-ams3', 'observe-elasticsearch-registered']);
  t.same(await names({ labels: { 'gitops-k8s.io/app': 'guestbook' }, cluster: 'kind-dev' }), ['guestbook-guestbook-kind-dev']);
  const unknown = await call({ cluster: 'nope' });
  t.equal(unknown.statusCode, 422, 'an unknown cluster is not an empty list');
  t.match(unknown.json(), { message: /unknown cluster "nope"/ });
  const none = await call({ namespace: 'observe', cluster: 'kind-dev' });
  t.equal(none.statusCode, 422, 'a selection of nothing is refused, not answered with []');
});

t.test('the request schema is strict: 400 on unknown parameters and malformed JSON, 413 over the body limit', async (t) => {
  const dir = makeWorkTree(platformFiles());
  const { app, call } = await testApp({ repo: dir, bodyLimit: 2048 });
  t.teardown(() => app.close());
  const unknown = await call({ clusterz: 'kind-dev' });
  t.equal(unknown.statusCode, 400);
  t.match(unknown.json(), { code: 'GK_BAD_REQUEST', message: /unknown parameter "clusterz"/ });
  t.equal((await call({ cluster: 7 })).statusCode, 400, 'no type coercion');
  t.equal((await call(undefined, { body: '{"applicationSetName":"x","input":{"parameters":{}},"extra":1}' })).statusCode, 400);
  const malformed = await call(undefined, { body: '{"input":' });
  t.equal(malformed.statusCode, 400);
  t.type(malformed.json().message, 'string');
  const big = await call({ clusters: Array.from({ length: 400 }, (_, i) => `cluster-${i}`) });
  t.equal(big.statusCode, 413);
  t.match(big.json(), { code: 'GK_PAYLOAD_TOO_LARGE', message: /./ });
  t.equal((await call(null)).statusCode, 200, 'input.parameters may be null');
  t.equal((await call(undefined, { body: '{"applicationSetName":"x","input":{}}' })).statusCode, 200, 'input.parameters may be absent');
});

t.test('a wrong or missing token is 403 and the token never reaches the log', async (t) => {
  const dir = makeWorkTree(platformFiles());
  const { app, call, log } = await testApp({ repo: dir });
  t.teardown(() => app.close());
  const missing = await call({}, { token: null });
  t.equal(missing.statusCode, 403);
  t.match(missing.json(), { message: /token/ });
  t.equal((await call({}, { token: 'wrong-token-0123456789abcdef' })).statusCode, 403);
  t.equal((await call({}, { token: TOKEN.slice(0, -1) })).statusCode, 403);
  const ok = await app.inject({
    method: 'POST',
    url: '/api/v1/getparams.execute',
    headers: { authorization: `bearer ${TOKEN}`, 'content-type': 'application/json' },
    payload: '{}',
  });
  t.equal(ok.statusCode, 200, 'the scheme is case-insensitive');
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'health needs no token');
  t.ok(log().length > 0, 'something was logged');
  t.notMatch(log(), TOKEN);
  t.notMatch(log(), 'wrong-token');
});

t.test('a token file is re-read when it changes', async (t) => {
  const dir = makeWorkTree(platformFiles());
  const tokens = tempDir('gk-token-');
  writeFiles(tokens, { token: 'first-token-0123456789\n' });
  const { app, call } = await testApp({ repo: dir, token: undefined, tokenFile: `${tokens}/token`, recheckMs: 0 });
  t.teardown(() => app.close());
  t.equal((await call({}, { token: 'first-token-0123456789' })).statusCode, 200);
  writeFiles(tokens, { token: 'second-token-0123456789-longer\n' });
  t.equal((await call({}, { token: 'first-token-0123456789' })).statusCode, 403);
  t.equal((await call({}, { token: 'second-token-0123456789-longer' })).statusCode, 200);
});

t.test('64 simultaneous calls build the commit once', async (t) => {
  const remote = makeBareRemote(platformFiles());
  const { app, call } = await testApp({ repo: `file://${remote.bare}` });
  t.teardown(() => app.close());
  const replies = await Promise.all(Array.from({ length: 64 }, () => call({ revision: 'main' })));
  t.same([...new Set(replies.map((r) => r.statusCode))], [200]);
  t.equal(new Set(replies.map((r) => r.body)).size, 1, 'every caller gets the same reply');
  const metrics = (await app.inject({ url: '/metrics' })).body;
  t.match(metrics, /gitops_k8s_cache_requests_total\{cache="model",result="miss"\} 1\n/, 'one model build');
  t.match(metrics, /gitops_k8s_cache_requests_total\{cache="reply",result="miss"\} 1\n/, 'one reply build');
  t.match(metrics, /gitops_k8s_build_duration_seconds_count 1\n/);
  t.match(metrics, /gitops_k8s_http_requests_total\{route="\/api\/v1\/getparams.execute",method="POST",status="200"\} 64/);
  t.match(metrics, /gitops_k8s_source_fetch_duration_seconds_count\{source="git",outcome="ok"\} [1-9]/);
});

t.test('a new commit on the branch is served on the next call that names the branch', async (t) => {
  const remote = makeBareRemote(platformFiles());
  const { app, call } = await testApp({ repo: `file://${remote.bare}` });
  t.teardown(() => app.close());
  const before = (await call({ revision: 'main' })).json() as Reply;
  commitFiles(remote.work, {
    'apps/guestbook/second.yaml':
      'repoURL: https://github.com/argoproj/argocd-example-apps.git\npath: helm-guestbook\ntargetRevision: 53e28ff20cc530b9ada2173fbbd64d48338583ba\n',
  });
  remote.push();
  const after = (await call({ revision: 'main' })).json() as Reply;
  t.equal(after.output.parameters.length, before.output.parameters.length + 2, 'the new app on both clusters');
  const first = git(remote.work, 'rev-parse', 'HEAD~1');
  const pinned = (await call({ revision: first })).json() as Reply;
  t.same(pinned.output.parameters.length, before.output.parameters.length, 'a commit id still gives that commit');
  const metrics = (await app.inject({ url: '/metrics' })).body;
  const parses = (result: string) => Number(new RegExp(`gitops_k8s_cache_requests_total\\{cache="parse",result="${result}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
  const files = Object.keys(platformFiles()).filter((f) => /\.ya?ml$/.test(f)).length;
  t.equal(parses('miss'), files + 1, 'each file was parsed once: the second commit parsed only its new file');
  t.equal(parses('hit'), files * 2, 'the second commit and the pinned first one took every other parse from the cache');
});

t.test('with a refresh interval, invalidate() (a push webhook) makes the next call fetch', async (t) => {
  const remote = makeBareRemote(platformFiles());
  const { app, call } = await testApp({ repo: `file://${remote.bare}`, refreshIntervalMs: 3_600_000 });
  t.teardown(() => app.close());
  const count = async () => ((await call({ revision: 'main' })).json() as Reply).output.parameters.length;
  const before = await count();
  commitFiles(remote.work, { 'apps/guestbook/other.yaml': 'repoURL: https://github.com/x/y.git\npath: y\ntargetRevision: main\n' });
  remote.push();
  t.equal(await count(), before, 'within the interval the fetched commit is served');
  app.gitops.invalidate(`file://${remote.bare}/`);
  t.equal(await count(), before + 2);
  const { commit } = await app.gitops.getPlatform({ revision: 'main' });
  t.equal(commit, git(remote.work, 'rev-parse', 'HEAD'));
});

t.test('every failure is a non-2xx with a message naming the file and line', async (t) => {
  const remote = makeBareRemote(platformFiles());
  const { app, call } = await testApp({ repo: `file://${remote.bare}` });
  t.teardown(() => app.close());
  t.equal((await call({ revision: 'main' })).statusCode, 200);

  commitFiles(remote.work, { 'apps/observe/elasticsearch/app.yaml': 'repoURL: https://helm.elastic.co\nchart: elasticsearch\nversion: 8.5.1\nreplicas: [\n' });
  remote.push();
  const broken = await call({ revision: 'main' });
  t.equal(broken.statusCode, 422, 'a broken commit');
  t.match(broken.json(), { code: 'GK_INVALID_YAML', message: /apps\/observe\/elasticsearch\/app\.yaml:\d+/ });

  commitFiles(remote.work, {
    'apps/observe/elasticsearch/app.yaml':
      'repoURL: https://helm.elastic.co\nchart: elasticsearch\nversion: 8.5.1\nvalues:\n  hosts: ["{{cluster.vars.nope}}"]\n',
  });
  remote.push();
  const invalid = await call({ revision: 'main' });
  t.equal(invalid.statusCode, 422, 'a template error');
  t.match(invalid.json().message, /apps\/observe\/elasticsearch\/app\.yaml:5/);

  const unknown = await call({ revision: 'no-such-branch' });
  t.equal(unknown.statusCode, 422);
  t.match(unknown.json(), { code: 'GK_UNKNOWN_REVISION', message: /no-such-branch/ });

  const noPath = await call({ revision: 'main', path: 'nowhere' });
  t.equal(noPath.statusCode, 404);
  const outside = await call({ revision: 'main', path: '../x' });
  t.equal(outside.statusCode, 422);
});

t.test('a git outage, a hanging server and wrong credentials are non-2xx; secrets stay out of messages and logs', async (t) => {
  const remote = makeBareRemote(platformFiles());
  const root = remote.bare.replace(/\/platform\.git$/, '');
  const server = await startGitHttpServer(root, { user: 'bot', password: 'git-secret-password-42' });
  t.teardown(() => server.close());
  const repoURL = `${server.url}/platform.git`;
  const { app, call, log } = await testApp({
    repo: repoURL,
    credentials: { gitUsername: 'bot', gitPassword: 'git-secret-password-42' },
    fetchTimeoutMs: 5000,
    requestTimeoutMs: 8000,
  });
  t.teardown(() => app.close());
  const ok = await call({ revision: 'main' });
  t.equal(ok.statusCode, 200, ok.statusCode === 200 ? 'answered' : ok.body);

  server.mode = 'down';
  const outage = await call({ revision: 'main' });
  t.equal(outage.statusCode, 502);
  t.match(outage.json(), { code: 'GK_GIT', message: /fetching http:\/\/127\.0\.0\.1:\d+\/platform\.git failed/ });

  server.mode = 'hang';
  const hang = await call({ revision: 'main' });
  t.equal(hang.statusCode, 504);
  t.match(hang.json(), { code: 'GK_TIMEOUT' });
  server.mode = 'ok';

  const withUserinfo = repoURL.replace('http://', 'http://bot:wrong-password-1234@');
  const { app: wrong, call: callWrong, log: wrongLog } = await testApp({ repo: withUserinfo });
  t.teardown(() => wrong.close());
  const denied = await callWrong({ revision: 'main' });
  t.equal(denied.statusCode, 502);
  t.notMatch(denied.body, 'wrong-password-1234');
  t.notMatch(wrongLog(), 'wrong-password-1234');
  t.notMatch(log(), 'git-secret-password-42');
  t.notMatch(log(), Buffer.from('bot:git-secret-password-42').toString('base64'));
});

t.test('a repo off the allowlist is 403 before anything is fetched', async (t) => {
  const remote = makeBareRemote(platformFiles());
  const server = await startGitHttpServer(remote.bare.replace(/\/platform\.git$/, ''));
  t.teardown(() => server.close());
  const dir = makeWorkTree(platformFiles());
  const { app, call } = await testApp({ repo: dir, allow: [dir, 'https://git.example.com/team/*'] });
  t.teardown(() => app.close());
  const res = await call({ repoURL: `${server.url}/platform.git`, revision: 'main' });
  t.equal(res.statusCode, 403);
  t.match(res.json(), { code: 'GK_REPO_NOT_ALLOWED' });
  t.same(server.requests, [], 'the git server saw no request');
  t.ok(app.gitops.isAllowed('https://git.example.com/team/platform.git'));
  t.notOk(app.gitops.isAllowed('https://git.example.com/team-evil/platform.git'));
  t.notOk(app.gitops.isAllowed('https://git.example.com/other/platform.git'));
});

t.test('the drop guard refuses a reply that drops too many sets of the last good one', async (t) => {
  const remote = makeBareRemote(platformFiles());
  const { app, call } = await testApp({ repo: `file://${remote.bare}`, maxDrop: 0.3 });
  t.teardown(() => app.close());
  t.equal((await call({ revision: 'main' }, { applicationSetName: 'platform' })).statusCode, 200);
  commitFiles(remote.work, {}, ['apps/kube-system', 'apps/guestbook']);
  remote.push();
  const refused = await call({ revision: 'main' }, { applicationSetName: 'platform' });
  t.equal(refused.statusCode, 503);
  t.match(refused.json(), { code: 'GK_GUARD', message: /drop 4 of 5/ });
  t.equal((await call({ revision: 'main' }, { applicationSetName: 'another' })).statusCode, 200, 'per ApplicationSet');
});

t.test('readiness follows the default repo; the gitops decorator renders through the caches', async (t) => {
  const dir = makeWorkTree(platformFiles());
  const { app } = await testApp({ repo: dir });
  t.teardown(() => app.close());
  t.equal((await app.inject({ url: '/readyz' })).statusCode, 503);
  const { platform, commit } = await app.gitops.getPlatform({});
  t.match(commit, /^worktree-/);
  t.equal(platform.apps.length, 5);
  t.equal((await app.inject({ url: '/readyz' })).statusCode, 200);
  t.equal(app.gitops.defaultRepo, dir);
  t.same(crdProblemsAll(objectsOf(selectOutput(platform))), []);
});

t.test('a local folder without a revision is read as it is: an edit shows on the next call', async (t) => {
  const dir = makeWorkTree(platformFiles());
  const { app, call } = await testApp({ repo: dir });
  t.teardown(() => app.close());
  const before = ((await call()).json() as Reply).output.parameters.length;
  writeFiles(dir, { 'apps/guestbook/more.yaml': 'repoURL: https://github.com/x/y.git\npath: y\ntargetRevision: main\n' });
  const after = ((await call()).json() as Reply).output.parameters.length;
  t.equal(after, before + 2);
});

t.test('with a refresh interval a stale branch is fetched in the background, and a failed fetch makes the next call a non-2xx', async (t) => {
  const remote = makeBareRemote(platformFiles());
  const root = remote.bare.replace(/\/platform\.git$/, '');
  const server = await startGitHttpServer(root);
  t.teardown(() => server.close());
  const { app, call } = await testApp({ repo: `${server.url}/platform.git`, refreshIntervalMs: 200, fetchTimeoutMs: 5000 });
  t.teardown(() => app.close());
  const count = async () => {
    const res = await call({ revision: 'main' });
    return res.statusCode === 200 ? (res.json() as Reply).output.parameters.length : res.statusCode;
  };
  const before = await count();
  t.equal(before, 5);
  commitFiles(remote.work, { 'apps/guestbook/other.yaml': 'repoURL: https://github.com/x/y.git\npath: y\ntargetRevision: main\n' });
  remote.push();
  await new Promise((r) => setTimeout(r, 250));
  const seen: number[] = [];
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const n = await count();
    seen.push(n as number);
    if (n === before + 2) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(seen.at(-1), before + 2, `the new commit is served once the background fetch is in (${seen.join(', ')})`);
  t.ok(
    seen.every((n) => n === before || n === before + 2),
    'meanwhile the last fetched commit, never a partial reply',
  );

  server.mode = 'down';
  await new Promise((r) => setTimeout(r, 250));
  const statuses: number[] = [];
  for (let i = 0; i < 40 && statuses.filter((s) => s === 502).length < 3; i++) {
    statuses.push((await call({ revision: 'main' })).statusCode);
    await new Promise((r) => setTimeout(r, 100));
  }
  const firstFailure = statuses.indexOf(502);
  t.ok(firstFailure >= 0, `the outage shows as a 502 (${statuses.join(', ')})`);
  t.ok(
    statuses.slice(0, firstFailure).every((s) => s === 200),
    'until the background fetch has failed, the last fetch is served',
  );
  t.ok(
    statuses.slice(firstFailure).every((s) => s === 502),
    'after it failed, every call is a 502 until a fetch succeeds',
  );
});
