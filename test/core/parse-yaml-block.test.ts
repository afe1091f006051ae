import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { yamlFiles } from '../helpers/yaml-files.js';
import { parseBlockYaml } from '../../src/core/yaml/parse-yaml-block.js';
import { parsePositional } from '../../src/core/yaml/parse-yaml.js';
import { projectRoot as root } from '../helpers/project-root.js';

/** What the positional parse (the authority) reads; undefined when it refuses the text. */
function viaPositional(text: string): { data: unknown } | undefined {
  try {
    return { data: parsePositional('x.yaml', text).data };
  } catch {
    return undefined;
  }
}

/** Equal data, key order included, -0 told from 0. */
function sameData(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.join('\u0000') !== kb.join('\u0000')) return false;
  return ka.every((k) => sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The block parser either defers (undefined) or reads exactly what the positional parse reads (so never what it refuses). */
function check(t: { ok(value: unknown, message: string): unknown }, text: string, name: string): boolean {
  const block = parseBlockYaml(text);
  if (!block) return false;
  const reference = viaPositional(text);
  t.ok(reference !== undefined && sameData(block.data, reference.data), `${name}: ${JSON.stringify(text).slice(0, 120)}`);
  return true;
}

t.test('every YAML file of the fixtures and the example reads as the positional parse reads it, and most take the block parser', async (t) => {
  const files = [...yamlFiles(path.join(root, 'test/fixtures')), ...yamlFiles(path.join(root, 'examples'))];
  let taken = 0;
  for (const file of files) if (check(t, readFileSync(file, 'utf8'), path.relative(root, file))) taken++;
  t.ok(taken > files.length / 2, `${taken} of ${files.length} files took the block parser`);
});

t.test('scalars, keys and layouts where YAML readers disagree or the subset ends', async (t) => {
  const scalars = [
    '1_000',
    '0b101',
    '0o17',
    '0x1F',
    '017',
    '+12',
    '-0',
    '1.',
    '.5',
    '1e3',
    '1E+3',
    '.inf',
    '-.Inf',
    '.NaN',
    '~',
    'null',
    'Null',
    'NULL',
    'true',
    'True',
    'TRUE',
    'yes',
    'on',
    'y',
    '2001-12-14',
    '12:30:00',
    '1:20',
    '0.',
    '0777',
    '08',
    '1__0',
    '1,000',
    '=',
    '"a\\x41"',
    "'it''s'",
    '9007199254740993',
    '1.0',
    '""',
    "''",
    'a: b: c',
    '"unterminated',
    'a #b',
    'a#b',
    '"a" #c',
    '"a"#c',
    'http://x:80/y',
    'a:',
    '- a',
    '-',
    '? x',
    ':x',
    'x:y',
    'a   b  ',
    '"a: b"',
    "'#'",
    '123abc',
    '.',
    '-.5',
    '@a',
    '`a',
    '%a',
    '|',
    '>',
    '[a]',
    '{a}',
    'a,b',
    '-1',
    '-x',
    '--flag',
    '--a=b',
    '--kubelet-preferred-address-types={{provider.x}}',
    '-1.5e3',
    '-0x1F',
    '-0o7',
    '-_1',
    '-1_0',
    '--',
    '---',
    '-- -',
    '- -1',
    '-a: b',
    '-: a',
    '?x',
    '?x: y',
    '? ',
    ':x:',
    ':a: b',
    '::',
    '-#',
    '-a #c',
    '--a#b',
    '-"a"',
    "-'a'",
    '-~',
    '-null',
  ];
  const shapes = [
    (s: string) => `k: ${s}\n`,
    (s: string) => `- ${s}\n`,
    (s: string) => `${s}: v\n`,
    (s: string) => `a:\n  - ${s}\n  - k: ${s}\n    j: ${s}\n`,
    (s: string) => `a:\n- b: ${s}\n  c:\n  - ${s}\n`,
    (s: string) => `k: ${s}\n  more\n`,
    (s: string) => `k:\n    a: ${s}\n  b: 1\n`,
  ];
  for (const s of scalars) for (const shape of shapes) check(t, shape(s), s);
  const layouts = [
    '',
    '# only\n',
    'a: 1\na: 2\n',
    'a:\n  b: 1\n c: 2\n',
    '- a\n  - b\n',
    '- - a\n',
    'a: 1\n- b\n',
    '- a\nb: 1\n',
    'a:\n\n\n  b: 1\n',
    'a: # c\n  b: 1\n',
    '-  a: 1\n   b: 2\n',
    '- # c\n  a: 1\n',
    '-\n  a: 1\n',
    '- \n- a\n',
    'a:\n-\n- b\n',
    '__proto__: 1\n',
    'x: y\n---\n',
    '---\na: 1\n',
    'a: 1\n...\n',
    'k: v\n  # c\nj: 1\n',
    'a:\n  b:\n  c: 1\n',
    'a:\n  - b\n  c: 1\n',
    'true: 1\nTrue: 2\n',
    'null: 1\n~: 2\n',
    'a: b\n b: c\n',
    'a:\n - x\n  - y\n',
    '  a: 1\n  b: 2\n',
    '  a: 1\nb: 2\n',
    'a: 1\n\tb: 2\n',
    'a: "x"y\n',
    'a: "x" #y\n',
    "a: ' x '\n",
  ];
  for (const text of layouts) check(t, text, 'layout');
});

t.test('random block documents read as the positional parse reads them', async (t) => {
  let seed = 42;
  const random = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const keys = ['a', 'b', 'key', 'x.y/z', 'true', 'True', 'null', 'k-1', '_k', 'on', 'NULL', 'Yes'];
  const values = [
    '1e400',
    '-1e999',
    '9007199254740993',
    '0x20000000000000',
    '.inf',
    '-.Inf',
    '.nan',
    '1e308',
    '9007199254740991',
    'v',
    '1',
    '1.5',
    '0x10',
    '~',
    'null',
    'False',
    '"s"',
    "'it''s'",
    '"a b" # c',
    'x # c',
    'x#c',
    'http://x',
    '1e3',
    '.inf',
    '0o7',
    '1_0',
    'a b',
    '12:30',
    '""',
    '100m',
    '1.8.0',
    'a"b',
    'a\\b',
    '00',
    '+1',
    '-1',
    '--flag=x',
    '-x',
    '?x',
    ':x',
  ];
  type Node = { scalar: string } | { map: [string, Node][] } | { list: Node[] };
  const generate = (depth: number): Node => {
    const r = random();
    if (depth > 3 || r < 0.35) return { scalar: pick(values) };
    const n = 1 + Math.floor(random() * 3);
    if (r < 0.65) return { map: Array.from({ length: n }, () => [pick(keys), generate(depth + 1)] as [string, Node]) };
    return { list: Array.from({ length: n }, () => generate(depth + 1)) };
  };
  const write = (node: Node, indent: number, out: string[]): void => {
    const pad = ' '.repeat(indent);
    if ('map' in node) {
      for (const [k, v] of node.map) {
        if ('scalar' in v) out.push(`${pad}${k}:${pick([' ', '  '])}${v.scalar}${pick(['', ' ', ' # c'])}`);
        else {
          out.push(`${pad}${k}:${pick(['', ' # c'])}`);
          if (random() < 0.2) out.push(pick(['', '# x', '   # y']));
          write(v, indent + ('list' in v && random() < 0.4 ? 0 : pick([1, 2, 4])), out);
        }
      }
    } else if ('list' in node) {
      for (const v of node.list) {
        if ('scalar' in v) out.push(`${pad}-${pick([' ', '  '])}${v.scalar}`);
        else if ('map' in v && random() < 0.7) {
          const gap = pick([1, 3]);
          const lines: string[] = [];
          write(v, indent + 1 + gap, lines);
          lines[0] = `${pad}-${' '.repeat(gap)}${lines[0]!.trimStart()}`;
          out.push(...lines);
        } else {
          out.push(`${pad}-`);
          write(v, indent + pick([1, 2, 4]), out);
        }
      }
    } else out.push(`${pad}${node.scalar}`);
  };
  let taken = 0;
  let readable = 0;
  for (let i = 0; i < 1500; i++) {
    const lines: string[] = [];
    const node = generate(0);
    write('scalar' in node ? { map: [['a', node]] } : node, pick([0, 0, 2]), lines);
    const text = `${lines.join('\n')}\n`;
    if (viaPositional(text)) readable++;
    if (check(t, text, `document ${i}`)) taken++;
  }
  // Keys such as `true:` and numbers such as 1e400 are refused, so only documents the positional parse reads can take the block parser.
  t.ok(readable > 300 && taken > readable * 0.9, `${taken} of ${readable} readable documents (of 1500) took the block parser`);
});
