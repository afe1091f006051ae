// Golden snapshots of `render examples/platform` (YAML and JSON), through the
// built bin as users run it: any change of output shows as a diff in review.
// After an intended change: `npx tap --snapshot test/examples/golden.test.ts`.
import t from 'tap';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot as root } from '../helpers/project-root.js';

const bin = path.join(root, 'dist/src/gitops-k8s.cjs');
const run = (args: string[]) => promisify(execFile)(process.execPath, [bin, ...args], { cwd: root, maxBuffer: 64 << 20, env: { PATH: process.env.PATH } });

// gitops.yaml names repoURL and path; --path-prefix repeats it so git's view of the checkout cannot change the output.
const base = ['render', 'examples/platform', '--path-prefix', 'examples/platform'];

t.test('render examples/platform (YAML)', async (t) => {
  const { stdout } = await run(base);
  t.matchSnapshot(stdout);
});

t.test('render examples/platform -o json', async (t) => {
  const { stdout } = await run([...base, '-o', 'json']);
  t.matchSnapshot(stdout);
});
