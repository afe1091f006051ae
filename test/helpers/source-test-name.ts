// Preloaded (`--node-arg=--import=...`) when tap runs the tests tsc compiled
// into dist/test/ (`npm test`). tap names a test's snapshot file, its snapshot
// keys and its t.testdir() folders after the main script: named after its
// source, test/<dir>/<name>.test.ts, a compiled test keeps matching the
// committed tap-snapshots/test/<dir>/<name>.test.ts.test.cjs, and
// `npx tap --snapshot test/<dir>/<name>.test.ts` still writes that file.
import path from 'node:path';
import { projectRoot } from './project-root.js';

const compiled = path.join(projectRoot, 'dist', 'test') + path.sep;
const main = process.argv[1];
if (main?.startsWith(compiled) && main.endsWith('.js')) {
  process.argv[1] = path.join(projectRoot, 'test', main.slice(compiled.length).replace(/\.js$/, '.ts'));
}
