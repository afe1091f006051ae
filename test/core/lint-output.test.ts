import t from 'tap';
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import path from 'node:path';
import { formatProblemsGithub } from '../../src/cli/format-output.js';
import { fixture, MANY_DEFECTS_FILES, runCli } from '../fixtures/core-support/support.js';

t.setTimeout(300_000);

const defects = MANY_DEFECTS_FILES;

t.test('lint -o json prints every problem as code, file, line, field and message on stdout', async (t) => {
  const run = runCli(['lint', fixture('core-many-defects'), '-o', 'json']);
  t.equal(run.status, 1);
  t.equal(run.stderr, '7 problems\n');
  const problems = JSON.parse(run.stdout) as Record<string, unknown>[];
  t.same(
    problems.map((p) => p.file),
    defects,
  );
  t.same(
    problems.find((p) => p.file === 'apps/web/typo.yaml'),
    { code: 'GK_UNKNOWN_KEY', file: 'apps/web/typo.yaml', line: 4, field: 'valeus', message: 'unknown key (did you mean "values"?)' },
  );
  const ok = runCli(['lint', fixture('core-layering'), '-o', 'json']);
  t.equal(ok.status, 0, ok.stderr);
  t.same(JSON.parse(ok.stdout), []);
  t.match(ok.stderr, /^ok: 2 Applications/);
});

t.test('lint -o github prints ::error commands naming the file from the root of the Git repository', async (t) => {
  const top = t.testdir();
  execFileSync('git', ['init', '-q', top]);
  cpSync(fixture('core-many-defects'), path.join(top, 'platform'), { recursive: true });
  const run = runCli(['lint', 'platform', '-o', 'github'], { cwd: top });
  t.equal(run.status, 1);
  const lines = run.stdout.trimEnd().split('\n');
  t.equal(lines.length, 7);
  t.same(
    lines.map((l) => /^::error file=([^,]+),line=\d+,title=[^:]+::\S/.exec(l)?.[1]),
    defects.map((f) => `platform/${f}`),
  );
  t.ok(lines.includes('::error file=platform/apps/web/typo.yaml,line=4,title=Unknown key (GK_UNKNOWN_KEY)::valeus: unknown key (did you mean "values"?)'));
  const usage = runCli(['lint', 'no-such-folder', '-o', 'github'], { cwd: top });
  t.equal(usage.status, 1);
  t.match(usage.stdout, /^::error title=Not found \(GK_NOT_FOUND\)::platform repo folder \S+no-such-folder does not exist\n$/);
});

t.test('GitHub workflow commands escape what the Actions toolkit escapes', async (t) => {
  const out = formatProblemsGithub(
    [{ code: 'GK_INVALID_VALUE', file: 'apps/a,b:c%.yaml', line: 3, field: 'values.x', message: '100% wrong\r\nsecond: line, too' }],
    'sub',
  );
  t.equal(out, '::error file=sub/apps/a%2Cb%3Ac%25.yaml,line=3,title=Invalid value (GK_INVALID_VALUE)::values.x: 100%25 wrong%0D%0Asecond: line, too\n');
});

t.test('render, explain, status, diff, lint and check take -o/--output the same way, refusing other formats', async (t) => {
  const cases: [string[], string[]][] = [
    [['render'], ['yaml', 'json']],
    [
      ['explain', 'web/site'],
      ['text', 'json'],
    ],
    [['status'], ['table', 'json']],
    [
      ['diff', '--base', 'HEAD'],
      ['text', 'markdown', 'json'],
    ],
    [['lint'], ['text', 'json', 'github']],
    [['check'], ['text', 'json']],
  ];
  for (const [args, formats] of cases) {
    const help = runCli([args[0]!, '--help']);
    t.match(
      help.stdout,
      new RegExp(`-o, --output <format>\\s+output format \\(choices: ${formats.map((f) => `"${f}"`).join(',\\s*')},\\s*default:\\s*"${formats[0]}"\\)`),
      args[0],
    );
    const bad = runCli([...args, '-o', 'xml'], { cwd: fixture('core-layering') });
    t.equal(bad.status, 2, `${args[0]} -o xml`);
    t.equal(bad.stdout, '');
    t.match(bad.stderr, `Allowed choices are ${formats.join(', ')}.`);
  }
});
