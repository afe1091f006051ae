import t from 'tap';
import { Ajv } from 'ajv';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { readPackageVersion } from '../../src/package-version.js';
import { runCli } from '../fixtures/core-support/support.js';
import { listFiles } from '../fixtures/core-support/support.js';
import { projectRoot as root } from '../helpers/project-root.js';

const modeline = /^# yaml-language-server: \$schema=(\S+)\/(\w+)\.schema\.json$/;

t.setTimeout(300_000);

/** Each YAML file's modeline (its first line), as base and kind; undefined for a file without one. */
function modelinesOf(dir: string): Map<string, { base: string; kind: string } | undefined> {
  const out = new Map<string, { base: string; kind: string } | undefined>();
  for (const file of listFiles(dir).filter((f) => /\.ya?ml$/.test(f))) {
    const match = modeline.exec(readFileSync(path.join(dir, file), 'utf8').split('\n')[0]!);
    out.set(file, match ? { base: match[1]!, kind: match[2]! } : undefined);
  }
  return out;
}

/** The problems of a file's data against the schema its modeline names (the built schemas/ of this checkout). */
function schemaErrors(dir: string, file: string, kind: string): unknown[] {
  const schema = JSON.parse(readFileSync(path.join(root, 'schemas', `${kind}.schema.json`), 'utf8')) as object;
  const validate = new Ajv({ strict: false }).compile(schema);
  validate(parse(readFileSync(path.join(dir, file), 'utf8')));
  return validate.errors ?? [];
}

t.test('init starts every file with a modeline naming its own schema at this release on unpkg', async (t) => {
  const target = path.join(t.testdir(), 'platform');
  const init = runCli(['init', target]);
  t.equal(init.status, 0, init.stderr);
  const lines = modelinesOf(target);
  t.same([...lines.entries()].map(([file, m]) => [file, m?.kind]).sort(), [
    ['apps/guestbook/guestbook.yaml', 'app'],
    ['apps/kube-system/metrics-server.yaml', 'app'],
    ['apps/kube-system/namespace.yaml', 'namespace'],
    ['clusters/local.yaml', 'cluster'],
    ['gitops.yaml', 'gitops'],
  ]);
  for (const [file, m] of lines) {
    t.equal(m?.base, `https://unpkg.com/gitops-k8s@${readPackageVersion()}/schemas`, file);
    t.same(schemaErrors(target, file, m!.kind), [], `${file} is valid against ${m!.kind}.schema.json`);
  }
  const lint = runCli(['lint', target]);
  t.equal(lint.status, 0, lint.stderr);
});

t.test('schemas --write points every file of an existing repo at its schema, once, and changes nothing else', async (t) => {
  const dir = path.join(t.testdir(), 'platform');
  cpSync(path.join(root, 'examples/platform'), dir, { recursive: true });
  // A modeline of an older release is moved on, not doubled.
  const gitops = path.join(dir, 'gitops.yaml');
  writeFileSync(gitops, `# yaml-language-server: $schema=https://unpkg.com/gitops-k8s@0.0.1/schemas/gitops.schema.json\n${readFileSync(gitops, 'utf8')}`);
  const before = runCli(['render', dir]);
  t.equal(before.status, 0, before.stderr);
  const base = pathToFileURL(path.join(root, 'schemas')).href;

  const listed = runCli(['schemas', dir, '--base', base]);
  t.equal(listed.status, 0, listed.stderr);
  t.match(listed.stdout, `clusters/do-ams3.yaml\t# yaml-language-server: $schema=${base}/cluster.schema.json\n`);
  t.equal(modelinesOf(dir).get('clusters/do-ams3.yaml'), undefined, 'without --write nothing is written');

  const write = runCli(['schemas', dir, '--write', '--base', base]);
  t.equal(write.status, 0, write.stderr);
  t.match(write.stderr, /^23 files updated$/m);
  const lines = modelinesOf(dir);
  const kinds = Object.fromEntries([...lines].map(([file, m]) => [file, m?.kind]));
  t.equal(kinds['gitops.yaml'], 'gitops');
  t.equal(kinds['clusters/do-ams3.yaml'], 'cluster');
  t.equal(kinds['providers/eks.yaml'], 'provider');
  t.equal(kinds['environments/prod.yaml'], 'environment');
  t.equal(kinds['apps/observe/namespace.yaml'], 'namespace');
  t.equal(kinds['apps/observe/logging/app.yaml'], 'app');
  t.equal(kinds['apps/observe/kube-prometheus-stack.yaml'], 'app');
  t.equal(kinds['apps/observe/logging/values.gke.yaml'], undefined, 'values files have no schema');
  t.equal(readFileSync(gitops, 'utf8').match(/yaml-language-server/g)?.length, 1, 'the old modeline replaced');
  for (const [file, m] of lines) if (m) t.same(schemaErrors(dir, file, m.kind), [], `${file} is valid against ${m.kind}.schema.json`);

  const after = runCli(['render', dir]);
  t.equal(after.stdout, before.stdout, 'the same Applications, byte for byte');
  const again = runCli(['schemas', dir, '--write', '--base', base]);
  t.match(again.stderr, /^0 files updated$/m);
  const applications = runCli(['schemas', path.join(root, 'test/fixtures/core-application-files'), '--base', base]);
  t.equal(
    applications.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t')[0])
      .join(','),
    'clusters/one.yaml,clusters/two.yaml',
    'full Application files have no schema of ours',
  );
  const relative = runCli(['schemas', dir, '--write', '--base', 'node_modules/gitops-k8s/schemas']);
  t.equal(relative.status, 2, 'a relative base would resolve differently for each file');
});
