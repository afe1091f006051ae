import t, { type Test } from 'tap';
import { openLocalRepo, renderPlatform } from '../../src/index.js';
import { openGitHubRepo } from '../../src/sources/github/github.js';
import type { ParameterSet } from '../../src/server/generator/parameters.js';
import { testApp } from '../fixtures/server-support/app.js';
import { startFakeGitHub } from '../fixtures/server-support/fake-github.js';
import { commitFiles, makeWorkTree, platformFiles } from '../fixtures/server-support/git-repos.js';
import { inReplyOrder } from '../helpers/reply-order.js';

type Reply = { output: { parameters: ParameterSet[] } };
const GH_TOKEN = 'ghs_faketoken0123456789abcdefghijklmnop';

async function setup(t: Test, refreshIntervalMs = 0) {
  const work = makeWorkTree(platformFiles('deploy/'));
  const gh = await startFakeGitHub('acme', 'platform', work);
  t.teardown(() => gh.close());
  const server = await testApp({
    repo: 'https://github.com/acme/platform.git',
    github: { apiUrl: gh.url, host: 'github.com', retryBaseMs: 5 },
    credentials: { githubToken: GH_TOKEN },
    refreshIntervalMs,
  });
  t.teardown(() => server.app.close());
  return { work, gh, ...server };
}

t.test('a repo read through the GitHub API renders like the same files on disk', async (t) => {
  const { work, gh, call, log } = await setup(t);
  const res = await call({ path: 'deploy' });
  t.equal(res.statusCode, 200, res.statusCode === 200 ? 'answered' : res.body);
  const sets = (res.json() as Reply).output.parameters;
  const local = renderPlatform(openLocalRepo(`${work}/deploy`), { repoURL: 'https://github.com/acme/platform.git', pathPrefix: 'deploy' });
  t.same(
    sets.map((s) => s.spec),
    inReplyOrder(local.apps).map((r) => r.application.spec),
  );
  t.ok(gh.log.some((l) => l.startsWith('GET /repos/acme/platform/git/trees/') && l.includes('recursive=1')));
  t.ok(
    gh.authorizations.every((a) => a === `token ${GH_TOKEN}`),
    'the token is sent to the API',
  );
  t.notMatch(log(), GH_TOKEN);
  t.notMatch(res.body, GH_TOKEN);
});

t.test('repeated calls are conditional (304) and blobs are not downloaded again', async (t) => {
  const { gh, call } = await setup(t);
  t.equal((await call({ path: 'deploy' })).statusCode, 200);
  const blobs = gh.log.filter((l) => l.includes('/git/blobs/')).length;
  t.ok(blobs >= 5);
  t.equal((await call({ path: 'deploy' })).statusCode, 200);
  t.ok(
    gh.log.some((l) => l.includes('/commits/main') && l.endsWith(' 304')),
    'the ref check came back 304',
  );
  t.equal(gh.log.filter((l) => l.includes('/git/blobs/')).length, blobs, 'no blob fetched twice');
});

t.test('a new commit is picked up; only its new blobs are fetched', async (t) => {
  const { work, gh, call } = await setup(t);
  const before = ((await call({ path: 'deploy' })).json() as Reply).output.parameters.length;
  const blobs = gh.log.filter((l) => l.includes('/git/blobs/')).length;
  commitFiles(work, { 'deploy/apps/guestbook/two.yaml': 'repoURL: https://github.com/x/y.git\npath: y\ntargetRevision: main\n' });
  const after = ((await call({ path: 'deploy' })).json() as Reply).output.parameters.length;
  t.equal(after, before + 2);
  t.equal(gh.log.filter((l) => l.includes('/git/blobs/')).length, blobs + 1);
});

t.test('a 5xx is retried; lasting 5xx, rate limits, truncated trees and unknown refs are non-2xx', async (t) => {
  const { gh, call } = await setup(t);
  gh.failNext = { match: /\/git\/trees\//, count: 1 };
  const retried = await call({ path: 'deploy' });
  t.equal(retried.statusCode, 200, 'one 502 then success');
  t.equal(gh.log.filter((l) => l.includes('/git/trees/') && l.endsWith(' 502')).length, 1);

  const { gh: gh2, call: call2 } = await setup(t);
  gh2.failNext = { match: /\/git\/trees\//, count: 100 };
  const outage = await call2({ path: 'deploy' });
  t.equal(outage.statusCode, 502);
  t.match(outage.json(), { code: 'GK_GITHUB', message: /HTTP 502/ });

  gh2.failNext = undefined;
  gh2.truncated = true;
  const truncated = await call2({ path: 'deploy', revision: 'main' });
  t.equal(truncated.statusCode, 502);
  t.match(truncated.json(), { message: /truncated/ });
  gh2.truncated = false;

  const unknown = await call2({ path: 'deploy', revision: 'nope' });
  t.equal(unknown.statusCode, 422);
  t.match(unknown.json(), { code: 'GK_UNKNOWN_REVISION' });

  gh2.rateLimited = true;
  const limited = await call2({ path: 'deploy', revision: 'v-other' });
  t.ok(limited.statusCode >= 400, `rate limited: ${limited.statusCode}`);
  t.notMatch(limited.body, GH_TOKEN);
});

t.test('GitHub URLs parse; others are refused', async (t) => {
  t.throws(() => openGitHubRepo({ url: 'https://example.com/x', credentials: {} }), { code: 'GK_BAD_REQUEST' });
});

t.test('with a refresh interval the ref is asked in the background; invalidate() makes the next call ask first', async (t) => {
  const { work, gh, app, call } = await setup(t, 60_000);
  const count = async () => ((await call({ path: 'deploy' })).json() as Reply).output.parameters.length;
  const before = await count();
  const asked = gh.log.filter((l) => l.includes('/commits/')).length;
  await count();
  t.equal(gh.log.filter((l) => l.includes('/commits/')).length, asked, 'within the interval nothing is asked');
  commitFiles(work, { 'deploy/apps/guestbook/two.yaml': 'repoURL: https://github.com/x/y.git\npath: y\ntargetRevision: main\n' });
  t.equal(await count(), before);
  app.gitops.invalidate('https://github.com/acme/platform');
  t.equal(await count(), before + 2, 'a push webhook is seen on the next call');
});
