import t from 'tap';
import { execGitHere } from '../../src/sources/git/exec-git.js';
import { gitEnvironment } from '../../src/sources/git/run-git.js';

// A git alias that waits, then prints git's own niceness (field 19 of /proc/<pid>/stat; its parent is git).
const niceOfGit = ['-c', 'alias.nice=!sleep 0.3; cut -d" " -f19 /proc/$PPID/stat', 'nice'];

t.test(
  'background git calls run niced, so a refresh does not take the CPU from requests; others at normal priority',
  { skip: process.platform !== 'linux' && 'reads /proc' },
  async (t) => {
    const low = await execGitHere({ args: niceOfGit, env: gitEnvironment(), timeoutMs: 10_000, lowPriority: true });
    t.equal(low.code, 0, low.stderr);
    const normal = await execGitHere({ args: niceOfGit, env: gitEnvironment(), timeoutMs: 10_000 });
    const [lowNice, normalNice] = [Number(low.stdout.toString().trim()), Number(normal.stdout.toString().trim())];
    // Niceness stops at 19 when the test itself already runs niced.
    t.equal(lowNice, Math.min(19, normalNice + 10), `niced by 10 (${lowNice} vs ${normalNice})`);
  },
);
