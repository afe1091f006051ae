import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DISAGREED_SCALARS, yamlFiles } from '../helpers/yaml-files.js';
import { parsePositional, parseYamlFile } from '../../src/core/yaml/parse-yaml.js';
import { GitopsError } from '../../src/core/errors.js';
import { projectRoot as root } from '../helpers/project-root.js';

function outcome(fn: () => { data: unknown }): string {
  try {
    return JSON.stringify(fn().data);
  } catch (error) {
    if (error instanceof GitopsError) return `error ${error.message}`;
    throw error;
  }
}

// Scalars where YAML readers are known to disagree (YAML 1.1 vs 1.2, js-yaml vs yaml).
const tricky = [
  ...DISAGREED_SCALARS,
  'Yes',
  'off',
  'n',
  '2001-12-14t21:59:43.10-05:00',
  '+.inf',
  '-1.5e-3',
  '"\\u2028"',
  '|\n  x\n',
  '>\n  x\n  y\n',
  '[1, 2]',
  '{a: 1}',
  '- a\n- b',
];

t.test('the fast parse gives exactly the data of the positional parse, or defers to it', async (t) => {
  const files = [...yamlFiles(path.join(root, 'test/fixtures')), ...yamlFiles(path.join(root, 'examples'))];
  t.ok(files.length > 50, `${files.length} files`);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const rel = path.relative(root, file);
    t.equal(
      outcome(() => parseYamlFile(rel, text)),
      outcome(() => parsePositional(rel, text)),
      rel,
    );
  }
  for (const scalar of tricky) {
    for (const text of [`k: ${scalar}\n`, `- ${scalar.replace(/\n/g, '\n  ')}\n`, `${scalar}\n`]) {
      t.equal(
        outcome(() => parseYamlFile('x.yaml', text)),
        outcome(() => parsePositional('x.yaml', text)),
        JSON.stringify(text),
      );
    }
  }
});

t.test('a fast-parsed file still names the line of a field when asked', async (t) => {
  const text = 'repoURL: https://charts.example.com\nchart: demo\nversion: 1.2.3\nvalues:\n  replicas: 2\n  ingress:\n    hosts: [a, b]\n';
  const yaml = parseYamlFile('apps/demo/demo.yaml', text);
  t.same(yaml.data, { repoURL: 'https://charts.example.com', chart: 'demo', version: '1.2.3', values: { replicas: 2, ingress: { hosts: ['a', 'b'] } } });
  t.equal(yaml.lineOf(['values', 'replicas']), 5);
  t.equal(yaml.lineOf(['values', 'ingress', 'hosts', 1]), 7);
  t.equal(yaml.lineOfKey(['values'], 'ingress'), 6);
});

/** The problems of a refusal as `line: message`, or undefined when the text parses. */
function refusal(fn: () => unknown): string[] | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (error instanceof GitopsError) return error.problems.map((p) => `${p.code} ${p.line}: ${p.message}`);
    throw error;
  }
}

// Each plain block YAML (the fast path's subset), then the same with a comment or an anchor elsewhere,
// which once switched parsers: the refusal must not depend on which one runs.
const disagreements: [string, number, RegExp][] = [
  ['~: tilde-key\nhuge: 1\n', 1, /key \("~"\) reads as null/],
  ['a: 1\nnull: x\n', 2, /key \("null"\) reads as null/],
  ['a:\n  : empty\n', 2, /reads as null/],
  ['a:\n  true: x\n', 2, /the boolean true/],
  ['ports:\n  80: http\n', 2, /the number 80/],
  ['a:\n  0x10: x\n', 2, /the number 16/],
  ['a:\n  .inf: x\n', 2, /the number Infinity/],
  ['a:\n  ? [x]\n  : 1\n', 2, /a list or a map/],
  ['a: x\nhuge: 1e400\n', 2, /1e400 is too large/],
  ['a:\n  - -1e999\n', 2, /-1e999 is too large/],
  ['id: 9007199254740993\n', 1, /beyond 2\^53/],
  ['id: 0x20000000000001\n', 1, /beyond 2\^53/],
  ['%YAML 1.1\n---\na: yes\n', 1, /directive %YAML/],
  ['%TAG !e! tag:example.com,2000:\n---\na: 1\n', 1, /directive %TAG/],
  ['a: 1\rb: 2\r', 1, /bare carriage return/],
  ['a: 1\nb:\r  c: 2\n', 2, /bare carriage return/],
  ['a:\n\tb: 1\n', 2, /Tabs/],
  ['a:\n  b: 1\n\tc: 2\n', 3, /Tabs/],
  // The same inside the flow collections and literal block scalars the block parser reads.
  ['a: [x]\nb: {~: 1}\n', 2, /key \("~"\) reads as null/],
  ['a: |\n  x\nb: {k: v, true: 1}\n', 3, /the boolean true/],
  ['a:\n  - [1, {80: http}]\n', 2, /the number 80/],
  ['a: |-\n  x\nb: [1, 1e400]\n', 3, /1e400 is too large/],
  ['a:\n  - {k: [9007199254740993]}\n', 2, /beyond 2\^53/],
  ['a: |\n  x\nb:\n\tc: 1\n', 4, /Tabs/],
];

t.test('what YAML readers disagree on is refused at its line, whichever parser reads the file', async (t) => {
  for (const [text, line, message] of disagreements) {
    for (const variant of [text, `${text}# a comment\n`, `${text}anchored: &x 1\n`, `${text}copy: *x\nanchor: &x 1\n`, `# c &x\n${text}`]) {
      const fast = refusal(() => parseYamlFile('x.yaml', variant));
      t.same(
        fast,
        refusal(() => parsePositional('x.yaml', variant)),
        `same verdict both ways: ${JSON.stringify(variant)}`,
      );
      const shift = variant.startsWith('# c') ? 1 : 0;
      t.ok(
        fast?.some((p) => p.startsWith(`GK_INVALID_YAML ${line + shift}: `) && message.test(p)),
        `refused at line ${line + shift}: ${JSON.stringify(variant)} ${fast}`,
      );
    }
  }
  // What every reader agrees on stays accepted.
  t.same(parseYamlFile('x.yaml', 'a: .inf\nb: -.Inf\nc: 1e308\nd: 9007199254740991\n"1": x\n"~": y\nx: 1e20\ne: "1e400"\n').data, {
    a: Infinity,
    b: -Infinity,
    c: 1e308,
    d: 9007199254740991,
    '1': 'x',
    '~': 'y',
    x: 1e20,
    e: '1e400',
  });
  t.same(parseYamlFile('x.yaml', 'a: b\r\nc: d\r\n').data, { a: 'b', c: 'd' }, 'CRLF line endings are fine');
  t.same(parseYamlFile('x.yaml', 'a:\n  - x\n  -\ty\n').data, { a: ['x', 'y'] }, 'a tab after an indicator is not indentation');
});

t.test('random documents with keys and numbers readers disagree on get the same verdict from both parsers', async (t) => {
  let seed = 7;
  const random = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  // `%` becomes the entry's number, so that keys do not repeat.
  const goodKeys = ['a%', 'name%', '"1%"', "'~%'", 'on%', 'y%'];
  const badKeys = ['~', 'null', 'true', 'False', '1', '0x10', '.inf', ''];
  const goodValues = [
    'v',
    '1',
    '1e308',
    '.inf',
    '.nan',
    '9007199254740991',
    '0o17',
    '~',
    'true',
    '"1e400"',
    '[1, 2]',
    '|\n  x',
    '{ k: [a, "b"] }',
    '|-\n  x\n\n  y',
    "['it''s', {}]",
  ];
  const badValues = ['1e400', '-1e999', '9007199254740993', '[1, 1e400]', '{~: 1}', '{a: 1, a: 2}', '[{true: x}]', '{k: [0x20000000000001]}', '|\n  x\n y'];
  const extras = ['', '', '', '# comment\n', 'z: &x 1\n', '%YAML 1.1\n---\n', 'z:\r  w: 1\n', 'z:\n\tw: 1\n'];
  const key = (k: number): string => (random() < 0.9 ? pick(goodKeys).replace('%', String(k)) : pick(badKeys));
  const value = (): string => (random() < 0.9 ? pick(goodValues) : pick(badValues));
  let refused = 0;
  for (let i = 0; i < 1500; i++) {
    const lines: string[] = [];
    for (let k = 0, n = 1 + Math.floor(random() * 4); k < n; k++) {
      if (random() < 0.3) lines.push(`${key(k)}:`, `  ${key(k)}: ${value().replace('\n', '\n    ')}`);
      else lines.push(`${key(k)}: ${value().replace('\n', '\n  ')}`);
    }
    const extra = pick(extras);
    const text = extra.startsWith('%') ? `${extra}${lines.join('\n')}\n` : `${lines.join('\n')}\n${extra}`;
    const fast = outcome(() => parseYamlFile('x.yaml', text));
    t.equal(
      fast,
      outcome(() => parsePositional('x.yaml', text)),
      JSON.stringify(text),
    );
    if (fast.startsWith('error')) refused++;
  }
  t.ok(refused > 300 && refused < 1400, `${refused} of 1500 refused`);
});
