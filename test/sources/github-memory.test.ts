/** The GitHub source's memory: what it keeps between commits is bounded. */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openGitHubRepo } from '../../src/sources/github/github.js';
import { startFakeGitHub } from '../fixtures/server-support/fake-github.js';
import { commitFiles, makeWorkTree, platformFiles } from '../fixtures/server-support/git-repos.js';

/** `global.gc`, without starting node with --expose-gc. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

t.test('what is kept for conditional requests stays bounded over many commits of large files', async (t) => {
  const work = makeWorkTree(platformFiles());
  const gh = await startFakeGitHub('acme', 'platform', work);
  t.teardown(() => gh.close());
  const source = openGitHubRepo({
    url: 'https://github.com/acme/platform.git',
    apiUrl: gh.url,
    credentials: {},
    refreshIntervalMs: 0,
    retryBaseMs: 5,
    blobCacheBytes: 4 * 1024 * 1024,
    etagCacheBytes: 2 * 1024 * 1024,
  });
  const gc = exposeGc();
  const heap = (): number => {
    gc();
    return process.memoryUsage().heapUsed;
  };
  // Three new 900 KiB files per commit, read ahead on every open: 8 commits hold 29 MiB of base64 answers.
  const commit = async (n: number): Promise<void> => {
    const big = (i: number) => `# ${randomBytes(450 * 1024).toString('hex')}\nrepoURL: https://github.com/x/y.git\npath: y${n}-${i}\ntargetRevision: main\n`;
    commitFiles(work, { 'apps/guestbook/a.yaml': big(1), 'apps/guestbook/b.yaml': big(2), 'apps/guestbook/c.yaml': big(3) });
    const files = await source.open(await source.resolve('main'), '');
    t.equal(files.kind('apps/guestbook/a.yaml'), 'file');
  };
  for (let n = 0; n < 3; n++) await commit(n);
  const before = heap();
  const first = gh.log.find((l) => l.includes('/git/trees/'))!.split(' ')[1]!;
  for (let n = 3; n < 11; n++) await commit(n);
  const grown = heap() - before;
  t.ok(grown < 12 * 1024 * 1024, `the heap grew by ${(grown / 1024 / 1024).toFixed(1)} MiB over 8 commits`);
  // The oldest tree's answer was dropped: asking for it again is a full answer, not a 304.
  const tree = first.split('?')[0]!.split('/').pop()!;
  await source.open(tree, '');
  t.match(gh.log.at(-1), / 200$/, 'the oldest answer was evicted');
});
