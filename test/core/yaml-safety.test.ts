import t from 'tap';
import { truncateSync } from 'node:fs';
import path from 'node:path';
import { openMemoryRepo } from '../../src/sources/repo-files.js';
import { parseYamlFile } from '../../src/core/yaml/parse-yaml.js';
import { loadPlatformRepo } from '../../src/core/load/load-platform-repo.js';
import { copyFixture, fixture, lintProblems, problemAt, problemsOf } from '../fixtures/core-support/support.js';
import { openLocalRepo } from '../../src/sources/repo-files.js';

t.test('malformed YAML is reported with its file and the line it breaks on', async (t) => {
  const problems = lintProblems('core-malformed-yaml');
  const p = problemAt(problems, 'apps/web/bad.yaml');
  t.equal(p.code, 'GK_INVALID_YAML');
  t.equal(p.line, 6, 'the mis-indented key is on line 6');
  t.match(p.message, /same column/);
  t.notOk(
    problems.some((x) => x.file === 'apps/web/good.yaml'),
    'the sound file is not blamed',
  );
});

t.test('a duplicate key is an error at the line of the second key', async (t) => {
  const p = problemAt(lintProblems('core-duplicate-keys'), 'apps/web/dup.yaml');
  t.equal(p.code, 'GK_INVALID_YAML');
  t.equal(p.line, 4);
  t.match(p.message, /unique/);
});

t.test('a billion-laughs alias bomb fails fast with GK_YAML_LIMIT in bounded time and memory', async (t) => {
  const before = process.memoryUsage().heapUsed;
  const started = performance.now();
  const problems = lintProblems('core-alias-bomb');
  const elapsed = performance.now() - started;
  const p = problemAt(problems, 'apps/web/bomb/values.yaml');
  t.equal(p.code, 'GK_YAML_LIMIT');
  // 9^9 (387 million) strings if expanded: anything but a refusal takes minutes and gigabytes.
  t.ok(elapsed < 5000, `refused in ${Math.round(elapsed)} ms`);
  t.ok(process.memoryUsage().heapUsed - before < 200 * 1024 * 1024, 'heap grew by less than 200 MiB');
});

t.test('an alias bomb written in JSON-like flow style (no space before & and *) is refused the same way', async (t) => {
  // Every spelling of a node property must reach the parser that limits alias expansion.
  const levels = ['"l0":&l0 {"k":"x"}'];
  for (let i = 1; i < 9; i++) levels.push(`"l${i}":&l${i} {${Array.from({ length: 9 }, (_, k) => `"k${k}":*l${i - 1}`).join(',')}}`);
  for (const text of [`{${levels.join(',')}}\n`, `values: {${levels.join(',')}}\n`]) {
    const started = performance.now();
    t.throws(() => parseYamlFile('bomb.yaml', text), { code: 'GK_YAML_LIMIT' });
    t.ok(performance.now() - started < 5000);
  }
  t.same(
    parseYamlFile('ok.yaml', 'a: "*"\nb: http://x/*\nc: "!important"\n').data,
    { a: '*', b: 'http://x/*', c: '!important' },
    'a * or ! inside a scalar is just a character',
  );
});

t.test('a few anchors used as shared defaults are fine, and merge keys merge as Helm does', async (t) => {
  const yaml = parseYamlFile('v.yaml', 'base: &base\n  a: 1\n  b: 2\nx:\n  <<: *base\n  b: 3\ny: *base\n');
  t.same(yaml.data, { base: { a: 1, b: 2 }, x: { a: 1, b: 3 }, y: { a: 1, b: 2 } });
});

t.test('a file over the size limit is refused before it is parsed', async (t) => {
  // gitops.yaml of the fixture lowers limits.maxFileBytes to 200.
  const problems = lintProblems('core-file-too-large');
  const p = problemAt(problems, 'apps/web/big.yaml');
  t.equal(p.code, 'GK_FILE_TOO_LARGE');
  t.match(p.message, /over the limit of 200/);
  t.equal(problems.length, 1, 'the small app passes');

  // The default limit is 1 MiB.
  const big = Buffer.alloc(1024 * 1024 + 1, 'a');
  const memory = openMemoryRepo('mem', [
    { path: 'apps/web/ok.yaml', type: 'file', content: Buffer.from('repoURL: https://c.example.com\nchart: ok\nversion: 1.0.0\n') },
    { path: 'apps/web/huge/app.yaml', type: 'file', content: Buffer.from('repoURL: https://c.example.com\nchart: huge\nversion: 1.0.0\n') },
    { path: 'apps/web/huge/values.yaml', type: 'file', content: big },
  ]);
  const defaults = problemsOf(() => loadPlatformRepo(memory));
  t.equal(problemAt(defaults, 'apps/web/huge/values.yaml').code, 'GK_FILE_TOO_LARGE');
});

t.test('one definition per file: a second document is an error, a trailing --- is not', async (t) => {
  t.same(parseYamlFile('a.yaml', 'a: 1\n---\n').data, { a: 1 });
  t.same(parseYamlFile('a.yaml', '---\na: 1\n').data, { a: 1 });
  const problems = problemsOf(() => parseYamlFile('a.yaml', 'a: 1\n---\nb: 2\n'));
  t.equal(problems[0]!.code, 'GK_INVALID_YAML');
  t.equal(problems[0]!.line, 2, 'where the second document starts');
});

t.test('the load path through a local folder reports the same line as lint', async (t) => {
  const problems = problemsOf(() => loadPlatformRepo(openLocalRepo(fixture('core-malformed-yaml'))));
  t.equal(problemAt(problems, 'apps/web/bad.yaml').line, 6);
});

t.test('a huge file is refused from its size, without reading it', async (t) => {
  const repo = copyFixture('core-file-too-large', t.teardown);
  // Sparse: 8 GiB on paper, nothing on disk. Reading it would exhaust memory.
  truncateSync(path.join(repo, 'apps/web/big.yaml'), 8 * 1024 ** 3);
  const started = performance.now();
  const p = problemAt(
    problemsOf(() => loadPlatformRepo(openLocalRepo(repo))),
    'apps/web/big.yaml',
  );
  t.equal(p.code, 'GK_FILE_TOO_LARGE');
  t.ok(performance.now() - started < 5000);
  // A git tree knows sizes before loading: the content is never asked for.
  let loaded = false;
  const memory = openMemoryRepo('mem', [
    { path: 'apps/web/ok.yaml', type: 'file', content: Buffer.from('repoURL: https://c.example.com\nchart: ok\nversion: 1.0.0\n') },
    {
      path: 'apps/web/huge.yaml',
      type: 'file',
      size: 5 * 1024 ** 3,
      content: () => {
        loaded = true;
        return Buffer.alloc(0);
      },
    },
  ]);
  t.equal(
    problemAt(
      problemsOf(() => loadPlatformRepo(memory)),
      'apps/web/huge.yaml',
    ).code,
    'GK_FILE_TOO_LARGE',
  );
  t.notOk(loaded, 'never loaded');
});

t.test('an over-indented line is reported on its own line, once', async (t) => {
  for (const [text, line] of [
    ['a: 1\n  b: 2\n', 2],
    ['a:\n  b: 1\n    c: 2\n', 3],
    ['repoURL: https://c.example.com\nchart: x\nversion: 1.0.0\nvalues:\n  image: web\n    tag: 1.2.3\n', 6],
  ] as const) {
    for (const variant of [text, `${text}# &anchor\n`]) {
      const problems = problemsOf(() => parseYamlFile('apps/web/x.yaml', variant));
      t.same(
        problems.map((p) => [p.code, p.line]),
        [['GK_INVALID_YAML', line]],
        JSON.stringify(variant),
      );
      t.match(problems[0]!.message, /indented deeper than the line above/);
    }
  }
  const multiLineKey = problemsOf(() => parseYamlFile('x.yaml', 'a\nb: 1\n'));
  t.equal(multiLineKey[0]!.line, 1, 'a key that really runs over two lines is still reported where it starts');
});

t.test('an unrendered Helm template is said to be one, once, at its first template action', async (t) => {
  const templates = [
    ['{{- if .Values.enabled }}\nrepoURL: https://c.example.com\nchart: x\n{{- end }}\n', 1, '{{- if .Values.enabled }}'],
    ['repoURL: https://c.example.com\nchart: x\nvalues:\n  image: {{ .Values.image }}\n  tag: {{ .Values.tag }}\n', 4, 'image: {{ .Values.image }}'],
    ['chart: x\nvalues:\n  labels:\n    {{- include "x.labels" . | nindent 4 }}\n', 4, '{{- include "x.labels" . | nindent 4 }}'],
    ['chart: x\nlabels: {{ include "x.labels" . }}\n', 2, 'labels: {{ include "x.labels" . }}'],
  ] as const;
  for (const [text, line, snippet] of templates) {
    const problems = problemsOf(() => parseYamlFile('apps/web/x.yaml', text));
    t.equal(problems.length, 1, JSON.stringify(text));
    t.match(problems[0], { code: 'GK_INVALID_YAML', file: 'apps/web/x.yaml', line });
    t.ok(problems[0]!.message.includes(`looks like a Helm (Go) template (${snippet})`), problems[0]!.message);
    t.match(problems[0]!.message, /plain YAML whose strings may hold Handlebars expressions such as "\{\{vars\.x\}\}"/);
  }
  // Handlebars strings are ours, and a file that fails for another reason keeps its own message.
  t.same(parseYamlFile('x.yaml', 'image: "{{vars.registry}}/web"\nargs: ["--x={{cluster.name}}"]\n').data, {
    image: '{{vars.registry}}/web',
    args: ['--x={{cluster.name}}'],
  });
  t.notMatch(problemsOf(() => parseYamlFile('x.yaml', 'a: "{{vars.x}}"\nc: "{{#if vars.y}}1{{else}}2{{/if}}"\nb: [\n'))[0]!.message, /Helm/);
});
