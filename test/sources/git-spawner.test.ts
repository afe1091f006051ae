import t from 'tap';
import { stopGitSpawner, useGitSpawner } from '../../src/sources/git/git-spawner.js';
import { runGit } from '../../src/sources/git/run-git.js';
import { openGitCommit, resolveRevision } from '../../src/sources/git/git.js';
import { makeWorkTree, platformFiles } from '../fixtures/server-support/git-repos.js';

t.test('git runs the same through the spawner process, which restarts after it stops', async (t) => {
  const dir = makeWorkTree(platformFiles());
  const here = await resolveRevision(dir, 'main');
  const direct = (await openGitCommit(dir, here)).read('clusters/do-ams3.yaml');
  useGitSpawner(true);
  t.teardown(() => useGitSpawner(false));
  t.equal(await resolveRevision(dir, 'main'), here);
  t.same((await openGitCommit(dir, here)).read('clusters/do-ams3.yaml'), direct, 'binary output crosses the process boundary intact');
  const many = await Promise.all(Array.from({ length: 20 }, () => resolveRevision(dir, 'main')));
  t.same(new Set(many), new Set([here]));
  stopGitSpawner();
  t.equal(await resolveRevision(dir, 'HEAD'), here, 'a new spawner starts on the next call');
  await t.rejects(runGit(['no-such-command'], { cwd: dir }), { code: 'GK_GIT' });
});
