import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadPlatformRepo, openLocalRepo } from '../../src/index.js';
import { createParseCache } from '../../src/core/yaml/parse-cache.js';
import { prepareSets, writeReply } from '../../src/server/generator/prepared-sets.js';
import { makeWorkTree, platformFiles } from '../fixtures/server-support/git-repos.js';

// A real major GC, as --expose-gc gives it, without restarting the test process with that flag.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

t.test('a loaded repo is let go once nothing refers to it: caches of the renderer do not keep old commits', async (t) => {
  const dir = makeWorkTree(platformFiles());
  const parseCache = createParseCache();
  const refs: WeakRef<object>[] = [];
  // In a function of its own, so that no frame of this test still holds the last commit.
  const serveOneCommit = async (): Promise<void> => {
    // The server keeps parses across commits; everything else of a commit must be free to go.
    const repo = loadPlatformRepo(openLocalRepo(dir), { parseCache });
    await writeReply(prepareSets(repo, ''), {}, () => undefined);
    refs.push(new WeakRef(repo), new WeakRef(repo.namespaces[0]!), new WeakRef(repo.clusters[0]!));
  };
  for (let commit = 0; commit < 3; commit++) await serveOneCommit();
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  t.same(
    refs.map((r) => r.deref() === undefined),
    refs.map(() => true),
    'repos, namespace folders and clusters of every commit collected',
  );
});
