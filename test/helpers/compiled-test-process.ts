// Preloaded (`--node-arg=--import=...`, `npm run tap:compiled`) into the
// processes of the tests tsc compiled into dist/test/. Only the test file's own
// process is set up: the processes it forks inherit the preload, and must keep
// their parent's temporary folder.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from './project-root.js';

const compiled = path.join(projectRoot, 'dist', 'test') + path.sep;

/** The source (test/<dir>/<name>.test.ts) of the compiled test this process runs; undefined in any other process. */
function sourceOfCompiledTest(main: string | undefined): string | undefined {
  if (!main?.startsWith(compiled) || !main.endsWith('.js')) return undefined;
  return path.join(projectRoot, 'test', main.slice(compiled.length).replace(/\.js$/, '.ts'));
}

/**
 * tap names a test's snapshot file, its snapshot keys and its t.testdir()
 * folders after the main script: named after its source, a compiled test keeps
 * matching the committed tap-snapshots/test/<dir>/<name>.test.ts.test.cjs, and
 * `npx tap --snapshot test/<dir>/<name>.test.ts` still writes that file.
 */
function nameAfterSource(source: string): void {
  process.argv[1] = source;
}

/**
 * Every temporary folder the test makes under os.tmpdir() (mkdtemp, the
 * generator's default clone cache), and those of the processes it starts,
 * which inherit TMPDIR, go into one folder removed when the test exits: a test
 * leaves nothing behind even where it does not clean up after itself.
 */
function isolateTempDir(): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gitops-k8s-test-'));
  process.env.TMPDIR = dir;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
}

const source = sourceOfCompiledTest(process.argv[1]);
if (source) {
  nameAfterSource(source);
  isolateTempDir();
}
