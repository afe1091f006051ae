import t, { type Test } from 'tap';
import { parse, parseAllDocuments } from 'yaml';
import { createEmitCache, emitScalar, emitYaml, emitYamlChunks, emitYamlStream } from '../src/core/yaml/emit-yaml.js';

// Both YAML versions: 1.2 (yaml's default) and 1.1, the schema Go's readers
// (sigs.k8s.io/yaml in Argo CD and kubectl) still resolve plain scalars with.
function readBack(text: string, version: '1.1' | '1.2'): unknown {
  return parse(text, { version, uniqueKeys: true, strict: true, prettyErrors: false, maxAliasCount: 0 });
}

// Test names in TAP must stay on one line and printable.
function show(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function roundTrips(t: Test, value: unknown, message?: string): void {
  const text = emitYaml(value);
  const expected = JSON.parse(JSON.stringify(value));
  for (const version of ['1.2', '1.1'] as const) {
    let back: unknown;
    try {
      back = readBack(text, version);
    } catch (error) {
      t.fail(`${message ?? 'value'} does not parse as YAML ${version}: ${(error as Error).message}\n${text}`);
      return;
    }
    t.same(back, expected, `${message ?? show(value)} reads back in YAML ${version}`);
  }
}

// Strings chosen to break emitters: YAML 1.1 and 1.2 words and numbers,
// indicators, whitespace at the edges, line breaks, controls, unicode.
const tricky = [
  '',
  ' ',
  'a',
  'yes',
  'No',
  'ON',
  'off',
  'Y',
  'n',
  '~',
  'null',
  'Null',
  'NULL',
  'true',
  'False',
  'TRUE',
  '0',
  '-1',
  '+1',
  '1.0',
  '1e3',
  '1E3',
  '6.8e+5',
  '.5',
  '-.5',
  '.inf',
  '-.Inf',
  '.NaN',
  '0x1F',
  '0x1p-2',
  '0o17',
  '017',
  '0b101',
  '1_000',
  '12:30',
  '190:20:30',
  '2001-12-14',
  '2001-12-14t21:59:43.10-05:00',
  '2001-12-14 21:59:43.10 -5',
  '1.2.3',
  'v1.2.3',
  '50Gi',
  '15d',
  '3m',
  '100m',
  '1d',
  '2h30m',
  '1e3x',
  '0xZZ',
  '12abc',
  '=',
  '<<',
  '-',
  '--',
  '---',
  '...',
  '?',
  ':',
  '#',
  '!',
  '&a',
  '*a',
  '|',
  '>',
  '%',
  '@',
  '`',
  '[',
  ']',
  '{',
  '}',
  ',',
  '"',
  "'",
  '\\',
  'a: b',
  'a:b',
  'a #b',
  'a#b',
  'a:',
  'a,',
  '- a',
  '? a',
  ' lead',
  'trail ',
  'in\tside',
  'tab\t',
  '\ttab',
  'line\nbreak',
  'two\n',
  'three\n\n',
  '\nlead',
  '  indented\nblock',
  'trailing \nspace',
  'x\r\ny',
  '\n',
  '\n\n',
  'café',
  '日本語',
  '😀',
  'mixed ascii and é',
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ufffe',
  '\uffff',
  '\ud800',
  'x\udc00',
  'https://example.com/a?b=c#d',
  '{{cluster.name}}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: an environment-variable reference, a string like any other
  '${ES_PASSWORD}',
  '/var/run',
  '_private',
  'key=value',
  'a, b',
  'CreateNamespace=true',
];

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomString(rnd: () => number): string {
  if (rnd() < 0.5) return tricky[Math.floor(rnd() * tricky.length)]!;
  const alphabet = 'aZ09 :#-?,\n\t"\'\\{}[]&*!|>%@`é日😀\u0000\u0085\u2028\ufeff.+_/=~';
  const chars = [...alphabet];
  let out = '';
  const length = Math.floor(rnd() * 8);
  for (let i = 0; i < length; i++) out += chars[Math.floor(rnd() * chars.length)];
  return out;
}

function randomValue(rnd: () => number, depth: number): unknown {
  const r = rnd();
  if (depth > 3 || r < 0.45) {
    const s = rnd();
    if (s < 0.55) return randomString(rnd);
    if (s < 0.7) return Math.floor(rnd() * 2000) - 1000;
    if (s < 0.8) return (rnd() - 0.5) * 10 ** Math.floor(rnd() * 30 - 10);
    if (s < 0.9) return rnd() < 0.5;
    return null;
  }
  if (r < 0.7) return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(rnd, depth + 1));
  const out: Record<string, unknown> = {};
  for (let i = Math.floor(rnd() * 5); i > 0; i--) out[randomString(rnd)] = randomValue(rnd, depth + 1);
  return out;
}

t.test('random JSON-shaped data reads back the same in YAML 1.2 and 1.1', async (t) => {
  const rnd = random(20261125);
  for (let i = 0; i < 400; i++) {
    const value = { doc: randomValue(rnd, 0), list: [randomValue(rnd, 1), randomValue(rnd, 1)] };
    roundTrips(t, value, `random value ${i}`);
  }
});

t.test('every tricky string reads back as itself, as a value, a key and a list item', async (t) => {
  for (const s of tricky) {
    roundTrips(t, { [s]: s, list: [s, { [s]: [s] }] }, show(s));
  }
});

t.test('YAML 1.1 booleans and nulls are quoted, so Go readers keep them as strings', async (t) => {
  for (const word of ['yes', 'Yes', 'YES', 'no', 'on', 'Off', 'y', 'N', 'true', 'False', 'null', '~']) {
    t.equal(emitScalar(word), JSON.stringify(word), word);
  }
});

t.test('strings that look like numbers or timestamps are quoted; words that cannot be numbers are plain', async (t) => {
  for (const s of ['1', '-1', '1.0', '1e3', '0x1F', '0o17', '0b101', '1_000', '12:30', '2001-12-14', '.inf', '1.2.3', '3.13.1']) {
    t.equal(emitScalar(s), JSON.stringify(s), s);
  }
  for (const s of ['50Gi', '15d', '3m', '100m', '12abc', 'v1.2.3', 'traefik', 'do-block-storage', 'CreateNamespace=true', '/healthz']) {
    t.equal(emitScalar(s), s, s);
  }
  t.equal(emitScalar(12), '12');
  t.equal(emitScalar(1e21), '1e+21');
  t.equal(emitScalar(false), 'false');
  t.equal(emitScalar(null), 'null');
  t.throws(() => emitScalar(Number.NaN));
  t.throws(() => emitScalar(Number.POSITIVE_INFINITY));
});

t.test('multi-line strings become literal blocks when exact, quoted strings otherwise', async (t) => {
  t.equal(emitYaml({ config: '[OUTPUT]\n    Name es\n' }), 'config: |\n  [OUTPUT]\n      Name es\n');
  t.equal(emitYaml({ a: 'x\ny' }), 'a: |-\n  x\n  y\n');
  t.equal(emitYaml({ a: 'x\n\n' }), 'a: |+\n  x\n\n');
  t.equal(emitYaml({ a: '  x\ny' }), 'a: |2-\n    x\n  y\n');
  t.equal(emitYaml({ a: ['x\ny'] }), 'a:\n- |-\n  x\n  y\n');
  t.equal(emitYaml({ a: 'trailing \nspace' }), 'a: "trailing \\nspace"\n');
  t.equal(emitYaml({ a: 'x\r\ny' }), 'a: "x\\r\\ny"\n');
  roundTrips(t, { deep: { list: [{ a: 'one\ntwo\n', b: ['\nlead', 'x\n\n\n'] }] } });
});

t.test('characters YAML forbids raw or Go reads as line breaks are escaped', async (t) => {
  for (const c of ['\u007f', '\u0085', '\u009f', '\u2028', '\u2029', '\ufeff', '\ufffe', '\uffff']) {
    const text = emitScalar(`a${c}b`);
    t.equal(text, `"a\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}b"`, show(c));
  }
  t.equal(emitScalar('tab\there'), '"tab\\there"');
  t.equal(emitScalar('\u0000'), '"\\u0000"');
  t.equal(emitScalar('café 日本 😀'), '"café 日本 😀"', 'printable unicode stays readable');
});

t.test('keys needing quotes are quoted, and very long keys use explicit entries', async (t) => {
  // (JavaScript puts integer-like keys first.)
  t.equal(
    emitYaml({ 'a: b': 1, '': 2, yes: 3, '1': 4, '-x': 5, '#': 6, 'app.kubernetes.io/name': 7 }),
    '"1": 4\n"a: b": 1\n"": 2\n"yes": 3\n"-x": 5\n"#": 6\napp.kubernetes.io/name: 7\n',
  );
  const long = 'k'.repeat(1500);
  roundTrips(t, { [long]: 'v', nested: { [long]: { a: [1] } }, list: [{ [long]: 1 }] }, 'keys over 1024 characters');
});

t.test('empty collections, nulls and nested sequences', async (t) => {
  t.equal(emitYaml({ a: {}, b: [], c: null, d: [[1, 2], [], [[3]]] }), 'a: {}\nb: []\nc: null\nd:\n- - 1\n  - 2\n- []\n- - - 3\n');
  t.equal(emitYaml({ skip: undefined, keep: 1 }), 'keep: 1\n');
  t.equal(emitYaml({}), '{}\n');
  t.equal(emitYaml([]), '[]\n');
  t.equal(emitYaml('multi\nline'), '"multi\\nline"\n');
  t.equal(emitYaml(null), 'null\n');
});

t.test('a stream holds one document per value', async (t) => {
  const values = [{ kind: 'A', spec: { x: 'one\n' } }, { kind: 'B', list: ['three\n\n'] }, { kind: 'C' }];
  const text = emitYamlStream(values);
  t.match(text, /^---\nkind: A\n/);
  t.same(
    parseAllDocuments(text).map((d) => d.toJS()),
    values,
  );
  t.equal(emitYamlStream([]), '');
});

t.test('a large stream comes in chunks that start at a document and join to the same text', async (t) => {
  const docs = Array.from({ length: 3000 }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `cm-${i}` },
    data: { text: 'x'.repeat(500), n: String(i) },
  }));
  const chunks = emitYamlChunks(docs);
  t.ok(chunks.length > 1, `${chunks.length} chunks`);
  for (const chunk of chunks) t.ok(chunk.startsWith('---\n'), 'each chunk starts a document');
  t.equal(chunks.join(''), emitYamlStream(docs));
  t.same(
    parseAllDocuments(chunks.join('')).map((d) => d.toJS()),
    docs,
  );
  t.same(emitYamlChunks([]), [], 'no documents, no chunks');
});

t.test('what emitting caches lives in the EmitCache a stream (or one document) is given', async (t) => {
  const cache = createEmitCache();
  const shared = Object.freeze({ automated: Object.freeze({ prune: true }) });
  const doc = { 'a: b': 'yes', name: 'web', syncPolicy: shared };
  const text = emitYaml(doc, cache);
  t.equal(text, '"a: b": "yes"\nname: web\nsyncPolicy:\n  automated:\n    prune: true\n');
  t.equal(cache.scalars.get('yes'), '"yes"', 'scalars');
  t.ok(cache.frozenText.has(shared), 'frozen subtrees');
  t.equal(emitYaml(doc, cache), text, 'read back from it, the same text');
  t.equal(emitYaml(doc), text, 'and without one');
});
