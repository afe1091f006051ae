import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { yamlFiles } from '../helpers/yaml-files.js';
import { parsePositional, parseYamlFile } from '../../src/parse-yaml.js';
import { GitopsError } from '../../src/errors.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');


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
  '1_000', '0b101', '0o17', '0x1F', '017', '+12', '-0', '1.', '.5', '1e3', '1E+3', '.inf', '-.Inf', '.NaN', '~', 'null', 'Null',
  'NULL', 'true', 'True', 'TRUE', 'yes', 'Yes', 'on', 'off', 'y', 'n', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '12:30:00',
  '1:20', '0.', '+.inf', '0777', '08', '1__0', '1,000', '=', '"a\\x41"', "'it''s'", '9007199254740993', '1.0', '-1.5e-3',
  '"\\u2028"', '|\n  x\n', '>\n  x\n  y\n', '[1, 2]', '{a: 1}', '""', "''", 'a: b: c', '- a\n- b', '"unterminated',
];

t.test('the fast parse gives exactly the data of the positional parse, or defers to it', async (t) => {
  const files = [...yamlFiles(path.join(root, 'test/fixtures')), ...yamlFiles(path.join(root, 'examples'))];
  t.ok(files.length > 50, `${files.length} files`);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const rel = path.relative(root, file);
    t.equal(outcome(() => parseYamlFile(rel, text)), outcome(() => parsePositional(rel, text)), rel);
  }
  for (const scalar of tricky) {
    for (const text of [`k: ${scalar}\n`, `- ${scalar.replace(/\n/g, '\n  ')}\n`, `${scalar}\n`]) {
      t.equal(outcome(() => parseYamlFile('x.yaml', text)), outcome(() => parsePositional('x.yaml', text)), JSON.stringify(text));
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
