import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { crdProblemsAll } from '../helpers/crd.js';
import { fixture, MANY_DEFECTS_FILES, runCli } from '../fixtures/core-support/support.js';

const problemLine = /^[^:\s]+(:\d+)?: ([\w.[\]"-]+: )?\S.*$/;

// Every case starts real processes; on a loaded machine they take seconds each.
t.setTimeout(600_000);

t.test('render exits 0 with a YAML stream of valid objects on stdout', async (t) => {
  const run = runCli(['render', fixture('core-cluster-selection')]);
  t.equal(run.status, 0, run.stderr);
  const objects = parseAllDocuments(run.stdout).map((d) => d.toJS());
  t.equal(objects.filter((o) => o.kind === 'Application').length, 15);
  t.same(crdProblemsAll(objects), []);
  const json = runCli(['render', fixture('core-cluster-selection'), '-o', 'json', '--cluster', 'do-ams3,gke-prod', '--namespace', 'batch']);
  t.equal(json.status, 0);
  t.same(
    JSON.parse(json.stdout).map((o: { metadata: { name: string } }) => o.metadata.name),
    ['batch', 'batch-also-gke-gke-prod', 'batch-job-do-ams3'],
  );
});

t.test('invalid input exits 1 with nothing on stdout and one file:line: field: problem per stderr line', async (t) => {
  const run = runCli(['render', fixture('core-unknown-cluster')]);
  t.equal(run.status, 1);
  t.equal(run.stdout, '');
  const lines = run.stderr.trimEnd().split('\n');
  t.equal(lines.pop(), '5 problems');
  t.equal(lines.length, 5);
  for (const line of lines) t.match(line, problemLine);
  t.ok(lines.includes('apps/web/web.yaml:5: clusters.names[0]: unknown cluster "prod-eu1" (did you mean "prod-eu"?); known: prod-eu, staging'));
  const unknownCluster = runCli(['render', fixture('core-cluster-selection'), '--cluster', 'do-ams'], {});
  t.equal(unknownCluster.status, 1);
  t.equal(unknownCluster.stdout, '');
  t.match(unknownCluster.stderr, 'did you mean "do-ams3"?');
  const missing = runCli(['render', path.join(tmpdir(), 'gk-no-such-dir')]);
  t.equal(missing.status, 1);
  t.equal(missing.stdout, '');
});

t.test('usage errors exit 2 with nothing on stdout', async (t) => {
  for (const args of [
    ['render', '--no-such-option'],
    ['no-such-command'],
    ['render', fixture('core-in-cluster'), '-o', 'xml'],
    ['explain', 'a', 'b', 'c'],
    [],
  ]) {
    const run = runCli(args);
    t.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
    t.equal(run.stdout, '', args.join(' '));
  }
  t.equal(runCli(['--help']).status, 0);
});

t.test('lint reports every problem of a broken repo in one run and exits 1', async (t) => {
  const run = runCli(['lint', fixture('core-many-defects')]);
  t.equal(run.status, 1);
  t.equal(run.stdout, '');
  const lines = run.stderr.trimEnd().split('\n');
  t.equal(lines.pop(), '7 problems');
  t.same(lines.map((l) => l.split(':')[0]).sort(), MANY_DEFECTS_FILES);
  for (const line of lines) t.match(line, problemLine);
  const ok = runCli(['lint', fixture('core-layering')]);
  t.equal(ok.status, 0);
  t.equal(ok.stdout, '');
  t.match(ok.stderr, /^ok: 2 Applications, 1 AppProjects, 2 clusters/);
});

t.test('explain prints each field with the file and line that set it', async (t) => {
  const run = runCli(['explain', fixture('core-layering'), 'web/site', '--cluster', 'prod']);
  t.equal(run.status, 0, run.stderr);
  t.match(run.stdout, /^# Application web-site-prod \(cluster prod\)/);
  t.match(run.stdout, /spec\.source\.helm\.valuesObject\.winner\.valuescluster: valuescluster\s+# apps\/web\/site\/values\.prod\.yaml:2/);
  t.match(run.stdout, /spec\.source\.helm\.valuesObject\.winner\.provider: provider\s+# providers\/eks\.yaml:5/);
  const json = runCli(['explain', fixture('core-layering'), 'web/site', '-o', 'json']);
  t.equal(JSON.parse(json.stdout).length, 2);
  const unknown = runCli(['explain', fixture('core-layering'), 'web/nope']);
  t.equal(unknown.status, 1);
  t.equal(unknown.stdout, '');
});

t.test('init writes a platform repo that lints clean and renders valid objects', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gk-init-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const target = path.join(dir, 'platform');
  const init = runCli(['init', target]);
  t.equal(init.status, 0, init.stderr);
  t.equal(init.stdout, '');
  const lint = runCli(['lint', target]);
  t.equal(lint.status, 0, lint.stderr);
  const rendered = runCli(['render', target]);
  t.equal(rendered.status, 0);
  t.same(crdProblemsAll(parseAllDocuments(rendered.stdout).map((d) => d.toJS())), []);
  const again = runCli(['init', target]);
  t.equal(again.status, 2, 'a folder with files is not overwritten');
});
