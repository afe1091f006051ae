import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DISAGREED_SCALARS, yamlFiles } from '../helpers/yaml-files.js';
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
    ...DISAGREED_SCALARS,
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

t.test('flow collections and literal block scalars where YAML readers disagree or the subset ends', async (t) => {
  const flows = [
    '[]',
    '[ ]',
    '{}',
    '{ }',
    '[a, b]',
    '[a,b]',
    '[ a , b ]',
    '[a, ]',
    '[a,, b]',
    '[, a]',
    '[a b]',
    '[a:b]',
    '[a: b]',
    '[a #b]',
    '[a] #c',
    '[a]#c',
    '[a] x',
    '[a]]',
    '[a',
    '[[a], [b, [c]]]',
    '[-]',
    '[-1, -x, --f, -.inf, -.5]',
    '[- a]',
    '[?x]',
    '[? x]',
    '[:x]',
    '[=]',
    '[~, null, Null, true, False, .nan, .inf, 0x1F, 0o17, 017, 1_000, 1e400, 9007199254740993, 1e3]',
    "[\"a\", 'b', \"\", '', 'it''s', \"a\\\"b\"]",
    '["*", "&x", "!t", "#", ",", "]", "}"]',
    '["a"b]',
    '["a" , b]',
    '[*x]',
    '[&x a]',
    '[!t a]',
    '[a, "b]',
    '{a: 1}',
    '{a:1}',
    '{a: }',
    '{a}',
    '{a: 1,}',
    '{a: 1, a: 2}',
    '{a: 1, b: {c: [d, e]}}',
    '{true: 1}',
    '{null: 1}',
    '{~: 1}',
    '{1: a}',
    '{"a": 1}',
    "{'a': 1}",
    '{__proto__: 1}',
    '{a: b c}',
    '{a: b: c}',
    '{ group: "*", kind: "*" }',
    '{ environments: [staging] }',
    '{a.b/c-d_e: x}',
    '{a: [1, 1e400]}',
    '{{x}}',
    '{{namespace}}',
    '[{{x}}]',
    '[a{b]',
    '[a}b]',
    '["{{namespace}}"]',
    `[${'['.repeat(40)}${']'.repeat(40)}]`,
  ];
  const shapes = [
    (s: string) => `k: ${s}\n`,
    (s: string) => `- ${s}\n`,
    (s: string) => `a:\n  - ${s}\n  - k: ${s}\n    j: ${s}\n`,
    (s: string) => `a:\n- b: ${s}\n  c:\n  - ${s}\n`,
    (s: string) => `k: ${s}\n  more\n`,
    (s: string) => `k: ${s}\nj: ${s}\n`,
  ];
  let flowsTaken = 0;
  for (const s of flows) for (const shape of shapes) if (check(t, shape(s), s)) flowsTaken++;
  t.ok(flowsTaken >= 80, `${flowsTaken} of ${flows.length * shapes.length} flow layouts took the block parser`);
  const literals = [
    'k: |\n  x\n',
    'k: |-\n  x\n',
    'k: |+\n  x\n\n',
    'k: |2\n  x\n',
    'k: >\n  x\n  y\n',
    'k: | # c\n  x\n',
    'k: |#c\n  x\n',
    'k: |\n  x',
    'k: |\n',
    'k: |\nj: 1\n',
    'k: |\n\n  x\n',
    'k: |\n  \n  x\n',
    'k: |\n  x\n  \n  y\n',
    'k: |\n  x\n\n  y\n\n\nj: 1\n',
    'k: |-\n  x\n\n  y\n\n\nj: 1\n',
    'k: |\n  x\n    deeper\n  # not a comment\n  - not a list\n  k: not a map\n  "q" [f] {g} &a *b !t\nj: 1\n',
    'k: |\n    x\n  y\n',
    'k: |\n    x\n  # c\nj: 1\n',
    'k: |\n    x\n  # c\n    y\n',
    'k: |\n  x  \n  y\n',
    'k: |\n  ---\n  ...\n',
    'k: |\n  x\n---\n',
    'a:\n  k: |\n   x\n  j: 1\n',
    'a:\n  k: |\n  x\n',
    'a:\n  k: |\n x\n',
    '- |\n  x\n- |-\n  y\n',
    '- |\n x\n',
    'a:\n- |\n  x\n- b\n',
    'a:\n- |\n x\n',
    '- a: |\n    x\n  b: 1\n',
    '- a: |\n   x\n',
    '- a: |\n  x\n',
    '-   a: |\n     x\n    b: |-\n      y\n',
    'k: |\n  x\n# c\nj: [1, {a: b}]\n',
    'k: |\n  x\n\n',
    'k: |\n  x\n  ',
  ];
  let taken = 0;
  for (const text of literals) if (check(t, text, 'literal')) taken++;
  t.ok(taken >= 15, `${taken} of ${literals.length} literal layouts took the block parser`);
});

t.test('random documents with flow collections and literal block scalars read as the positional parse reads them', async (t) => {
  let seed = 11;
  const random = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const keys = ['a', 'b', 'key', 'x.y/z', 'true', 'null', 'k-1', '_k', 'on', '~', '"q"', '1', 'a b', '__proto__'];
  const words = ['v', '1', '-1', '1.5', '1e400', '9007199254740993', '.inf', '-.Inf', '.nan', '0x10', '0o7', '~', 'null', 'False', '=', 'a.b/c'];
  const odd = ['-', '--x', '?x', ':x', 'a:b', 'a#b', 'a b', '*x', '&x', '!t', '@a', '`a', '|', '>', '%a', '{{x}}', ''];
  const quoted = ['"s"', "'it''s'", '""', "''", '"a b"', '"*"', '"a\\"b"', "'#'", '"{{x}}"', '"a'];
  const gap = (): string => pick(['', ' ', ' ', '  ']);
  const flow = (depth: number): string => {
    const r = random();
    if (depth > 2 || r < 0.45) return random() < 0.1 ? pick(odd) : random() < 0.3 ? pick(quoted) : pick(words);
    const n = Math.floor(random() * 4);
    const sep = (): string => (random() < 0.03 ? pick([',,', ', ,', ' ']) : `${gap()},${gap()}`);
    const tail = (): string => (random() < 0.03 ? ',' : '');
    if (r < 0.75) return `[${gap()}${Array.from({ length: n }, () => flow(depth + 1)).join(sep())}${tail()}${gap()}]`;
    const entries = Array.from({ length: n }, () => `${pick(keys)}${random() < 0.05 ? ':' : ': '}${gap()}${flow(depth + 1)}`);
    return `{${gap()}${entries.join(sep())}${tail()}${gap()}}`;
  };
  const contentLines = ['x', 'a b', '# not a comment', '- y', 'k: v', '  deeper', '"q" [f] {g}', '*a &b !c', 'x  '];
  /** A literal block scalar for a node at `indent`, as lines (its header first, without the key or dash). */
  const literal = (indent: number): string[] => {
    const header = random() < 0.9 ? pick(['|', '|-', '| # c']) : pick(['|+', '|2', '>', '|#c', '>-']);
    const column = indent + pick([1, 2, 2, 4]);
    const lines = [header];
    for (let i = 0, n = 1 + Math.floor(random() * 4); i < n; i++) {
      const r = random();
      if (r < 0.15 && i > 0) lines.push('');
      else if (r < 0.18) lines.push(' '.repeat(Math.floor(random() * 6)));
      else if (r < 0.21) lines.push(`${' '.repeat(Math.max(indent, column - 1))}${pick(contentLines)}`);
      else lines.push(`${' '.repeat(column)}${pick(contentLines)}`);
    }
    if (random() < 0.2) lines.push('');
    return lines;
  };
  /** A value after `key: ` or `- ` for a node at `indent`: its first line's text and any lines after it. */
  const value = (indent: number): [string, string[]] => {
    const r = random();
    if (r < 0.3) {
      const [header, ...rest] = literal(indent);
      return [header!, rest];
    }
    if (r < 0.4) return [pick(words), []];
    return [`${flow(0)}${pick(['', '', ' ', ' # c', '#c'])}`, []];
  };
  const write = (indent: number, depth: number, out: string[]): void => {
    const pad = ' '.repeat(indent);
    const isList = random() < 0.4;
    for (let i = 0, n = 1 + Math.floor(random() * 3); i < n; i++) {
      const lead = isList ? `${pad}- ` : `${pad}${pick(keys)}: `;
      if (depth < 2 && random() < 0.3) {
        out.push(lead.trimEnd());
        write(indent + pick([1, 2]), depth + 1, out);
      } else if (isList && depth < 2 && random() < 0.2) {
        // `- key: value`: a map at the column after the dash.
        const [first, rest] = value(indent + 2);
        out.push(`${pad}- ${pick(keys)}: ${first}`, ...rest, `${pad}  ${pick(keys)}: ${pick(words)}`);
      } else {
        const [first, rest] = value(indent);
        out.push(`${lead}${first}`, ...rest);
      }
    }
  };
  let taken = 0;
  let readable = 0;
  let flowTaken = 0;
  let literalTaken = 0;
  for (let i = 0; i < 2000; i++) {
    const lines: string[] = [];
    write(pick([0, 0, 2]), 0, lines);
    const text = `${lines.join('\n')}${random() < 0.95 ? '\n' : ''}`;
    if (viaPositional(text)) readable++;
    if (check(t, text, `document ${i}`)) {
      taken++;
      if (/[[{]/.test(text)) flowTaken++;
      if (/\|/.test(text)) literalTaken++;
    }
  }
  t.ok(readable > 200 && taken > readable * 0.5, `${taken} of ${readable} readable documents (of 2000) took the block parser`);
  t.ok(flowTaken > 100 && literalTaken > 100, `${flowTaken} with flow collections, ${literalTaken} with literal block scalars`);
});
