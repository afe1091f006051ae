import t from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { convertParameters, parseSetPath, typedSetValue } from '../../src/import/helm-set.js';
import { runTool } from '../../src/tools/external-tool.js';
import { helmBinary } from '../helpers/tools.js';

t.setTimeout(120_000);

t.test('--set typing as strvals does it', async (t) => {
  t.same(typedSetValue('2'), { value: 2 });
  t.same(typedSetValue('FALSE'), { value: false });
  t.same(typedSetValue('null'), { value: null });
  t.same(typedSetValue('007'), { value: '007' }, 'a leading zero is a string');
  t.same(typedSetValue('1.5'), { value: '1.5' }, 'no floats');
  t.same(typedSetValue('+7'), { value: 7 });
  t.equal(typedSetValue('a,b'), undefined, 'Argo CD escapes commas: a parameter');
  t.equal(typedSetValue('a\\.b'), undefined);
  t.equal(typedSetValue('{a,b}'), undefined);
  t.equal(typedSetValue('5000000'), undefined, 'a values file would make it 5e+06');
  t.same(parseSetPath('a.b[0][1].c'), ['a', 'b', 0, 1, 'c']);
  t.equal(parseSetPath('a\\.b'), undefined);
  t.equal(parseSetPath('a..b'), undefined);
  t.equal(parseSetPath('a.'), undefined);
  t.equal(parseSetPath('[0]'), undefined);
});

t.test('converted parameters give the values helm --set gives', async (t) => {
  const chart = t.testdir({
    'Chart.yaml': 'apiVersion: v2\nname: probe\nversion: 0.1.0\n',
    templates: { 'values.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: probe }\ndata:\n  values: {{ toJson .Values | quote }}\n' },
  });
  const parameters = [
    { name: 'replicas', value: '3' },
    { name: 'enabled', value: 'False' },
    { name: 'gone', value: 'null' },
    { name: 'zero', value: '0' },
    { name: 'neg', value: '-5' },
    { name: 'octal', value: '007' },
    { name: 'text', value: 'hello world = yes' },
    { name: 'empty', value: '' },
    { name: 'args[0]', value: '--verbose' },
    { name: 'args[2]', value: 'x' },
    { name: 'deep.map.key', value: 'true' },
    { name: 'items[0].name', value: 'a' },
    { name: 'items[0].port', value: '80' },
    { name: 'replicas', value: '4' },
  ];
  const ours = convertParameters({ base: { kept: 1 } }, parameters);
  t.same(ours.kept, []);
  const values = path.join(chart, 'base.yaml');
  writeFileSync(values, 'base: { kept: 1 }\n');
  const args = ['template', 'p', chart, '--values', values];
  for (const p of parameters) args.push('--set', `${p.name}=${p.value}`);
  const { stdout } = await runTool(helmBinary(), args);
  const helm = JSON.parse((parseAllDocuments(stdout)[0]!.toJS() as { data: { values: string } }).data.values) as Record<string, unknown>;
  t.same(ours.values, helm);
});

t.test('what --set reads differently stays a parameter, and so does what overlaps it', async (t) => {
  const result = convertParameters(
    {},
    [
      { name: 'tag', value: '8.5', forceString: true },
      { name: 'tag', value: '9' },
      { name: 'hosts', value: 'a,b' },
      { name: 'list[0]', value: 'x' },
      { name: 'ok', value: '1' },
    ],
    { valueFiles: true },
  );
  t.same(
    result.kept.map((p) => p.name),
    ['tag', 'tag', 'hosts', 'list[0]'],
  );
  t.same(result.values, { ok: 1 });
});
