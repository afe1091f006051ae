import t from 'tap';
import { runCli } from '../../src/cli/cli.js';
import { diffObjects, diffValues } from '../../src/core/diff/diff-platforms.js';
import { formatDiff } from '../../src/core/diff/format-diff.js';
import { crdProblemsAll } from '../helpers/crd.js';
import { commitChanges, makePlatformRepo } from '../fixtures/previews-support/support.js';

async function cli(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env: {}, cwd });
  return { code, stdout, stderr };
}

/** Adds an app, removes one and changes one, in one commit. */
function changePlatform(dir: string, platform: string): string {
  return commitChanges(dir, platform, {
    'apps/observe/grafana.yaml': 'repoURL: https://grafana.github.io/helm-charts\nchart: grafana\nversion: 8.5.1\nclusters:\n  names: [kind-dev]\n',
    'apps/observe/kibana.yaml': null,
    'apps/kube-system/metrics-server.yaml':
      'repoURL: https://kubernetes-sigs.github.io/metrics-server/\nchart: metrics-server\nversion: 3.12.3\n' +
      'values:\n  replicas: 2\n  args: ["--kubelet-insecure-tls"]\n',
  });
}

t.test('diff counts added, removed and changed Applications with their field changes, and exits 1', async (t) => {
  const { dir, platform, first } = makePlatformRepo('platform');
  changePlatform(dir, platform);
  const { code, stdout, stderr } = await cli(['diff', '--base', first, '--head', 'main', 'platform', '-o', 'json'], dir);
  t.equal(stderr, '');
  t.equal(code, 1, 'differences exit 1');
  const out = JSON.parse(stdout);
  t.equal(out.changed, true);
  t.same(out.counts.Application, { added: 1, removed: 1, changed: 2, unchanged: 2 });
  t.same(out.counts.AppProject, { added: 0, removed: 0, changed: 1, unchanged: 2 }, 'the observe project now lists the grafana chart repo and another cluster');
  const byName = Object.fromEntries(out.objects.map((o: { kind: string; name: string }) => [`${o.kind}/${o.name}`, o]));
  t.equal(byName['Application/observe-grafana-kind-dev'].change, 'added');
  t.equal(byName['Application/observe-grafana-kind-dev'].app, 'observe/grafana');
  t.equal(byName['Application/observe-grafana-kind-dev'].cluster, 'kind-dev');
  t.equal(byName['Application/observe-kibana-do-ams3'].change, 'removed');
  t.same(crdProblemsAll([byName['Application/observe-grafana-kind-dev'].object, byName['Application/observe-kibana-do-ams3'].object]), []);
  const ms = byName['Application/kube-system-metrics-server-kind-dev'];
  t.equal(ms.change, 'changed');
  t.same(ms.fields, [
    { path: 'spec.source.helm.valuesObject.args', change: 'added', after: ['--kubelet-insecure-tls'] },
    { path: 'spec.source.helm.valuesObject.replicas', change: 'changed', before: 1, after: 2 },
    { path: 'spec.source.targetRevision', change: 'changed', before: '3.12.2', after: '3.12.3' },
  ]);
  const tally = { added: 0, removed: 0, changed: 0 } as Record<string, number>;
  for (const o of out.objects) for (const f of o.fields ?? []) tally[f.change]++;
  t.same(out.fieldCounts, tally, 'field counts add up over the changed objects');
  t.ok(out.fieldCounts.changed >= 4 && out.fieldCounts.added >= 2);
});

t.test('diff prints text and markdown with signs per kind of change', async (t) => {
  const { dir, platform, first } = makePlatformRepo();
  changePlatform(dir, platform);
  const text = await cli(['diff', '--base', first, '.'], dir);
  t.equal(text.code, 1);
  t.match(text.stdout, /Applications: 1 added, 1 removed, 2 changed, 2 unchanged/);
  t.match(text.stdout, /^\+ Application observe-grafana-kind-dev \(observe\/grafana on kind-dev\)$/m);
  t.match(text.stdout, /^- Application observe-kibana-do-ams3 /m);
  t.match(text.stdout, /^ {4}~ spec\.source\.targetRevision: "3\.12\.2" -> "3\.12\.3"$/m);
  t.match(text.stdout, /^ {4}\+ spec\.source\.helm\.valuesObject\.args: \["--kubelet-insecure-tls"\]$/m);
  const md = await cli(['diff', '--base', first, '--output', 'markdown'], dir);
  t.equal(md.code, 1);
  t.match(md.stdout, /\| added \| 0 \| 1 \|/);
  t.match(md.stdout, /```diff\n[^`]*- spec\.source\.helm\.valuesObject\.replicas: 1\n\+ spec\.source\.helm\.valuesObject\.replicas: 2/);
  t.match(md.stdout, /#### Added \(1\)/);
});

t.test('diff of identical revisions says so and exits 0', async (t) => {
  const { dir, first } = makePlatformRepo();
  commitChanges(dir, dir, { 'README.md': 'not part of the platform\n' });
  const { code, stdout } = await cli(['diff', '--base', first, '--head', 'HEAD'], dir);
  t.equal(code, 0);
  t.match(stdout, /no difference/);
  t.match(stdout, /Applications: 0 added, 0 removed, 0 changed, 5 unchanged/);
});

t.test('a broken head revision prints its problem with file and line, not a diff, and exits 2', async (t) => {
  const { dir, platform, first } = makePlatformRepo();
  commitChanges(dir, platform, {
    'apps/guestbook/guestbook.yaml': 'repoURL: https://github.com/argoproj/argocd-example-apps.git\npath: guestbook\ntargetRevison: main\n',
  });
  const { code, stdout, stderr } = await cli(['diff', '--base', first, '--head', 'main'], dir);
  t.equal(code, 2);
  t.equal(stdout, '', 'no diff on stdout');
  t.match(stderr, /the head revision main \([0-9a-f]{12}\) does not render/);
  t.match(stderr, /apps\/guestbook\/guestbook\.yaml:3: /);
});

t.test('a broken base revision is an error too, as are unknown revisions and a folder outside git', async (t) => {
  const { dir, platform } = makePlatformRepo();
  const broken = commitChanges(dir, platform, { 'apps/observe/kibana.yaml': 'repoURL: https://helm.elastic.co\nchart: kibana\n' });
  commitChanges(dir, platform, { 'apps/observe/kibana.yaml': 'repoURL: https://helm.elastic.co\nchart: kibana\nversion: 8.5.1\n' });
  const base = await cli(['diff', '--base', broken], dir);
  t.equal(base.code, 2);
  t.match(base.stderr, /the base revision [0-9a-f]{40} \([0-9a-f]{12}\) does not render/);
  t.match(base.stderr, /apps\/observe\/kibana\.yaml/);
  const unknown = await cli(['diff', '--base', 'no-such-branch'], dir);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /no-such-branch/);
  const usage = await cli(['diff', '--base', 'main', '-o', 'html'], dir);
  t.equal(usage.code, 2);
  t.match(usage.stderr, /Allowed choices are text, markdown, json/);
  const missing = await cli(['diff'], dir);
  t.equal(missing.code, 2, '--base is required');
});

t.test('diff -f/--format still works for a release, hidden from --help, with a warning', async (t) => {
  const { dir, platform, first } = makePlatformRepo('platform');
  changePlatform(dir, platform);
  const old = await cli(['diff', '--base', first, 'platform', '-f', 'json'], dir);
  t.equal(old.code, 1);
  t.equal(old.stderr, 'warning: -f/--format is deprecated; use -o/--output\n');
  t.same(JSON.parse(old.stdout), JSON.parse((await cli(['diff', '--base', first, 'platform', '-o', 'json'], dir)).stdout));
  t.equal((await cli(['diff', '--base', first, '--format', 'html'], dir)).code, 2);
  t.equal((await cli(['diff', '--base', first, '-f', 'json', '-o', 'markdown'], dir)).code, 2, 'not both');
  const help = await cli(['diff', '--help'], dir);
  t.match(help.stdout, /-o, --output <format>\s+output format \(choices: "text", "markdown", "json",\s+default: "text"\)/);
  t.notMatch(help.stdout, /--format/);
});

t.test('values diff: maps key by key, scalar lists whole, quoted keys for labels', async (t) => {
  t.same(diffValues({ a: 1, b: [1, 2], c: { 'x.y/z': 'v' } }, { a: 1, b: [1, 3], c: { 'x.y/z': 'w' }, d: null }), [
    { path: 'b', change: 'changed', before: [1, 2], after: [1, 3] },
    { path: 'c["x.y/z"]', change: 'changed', before: 'v', after: 'w' },
    { path: 'd', change: 'added', after: null },
  ]);
  t.same(diffValues([{ name: 'a', v: 1 }], [{ name: 'a', v: 2 }], 'list'), [{ path: 'list[0].v', change: 'changed', before: 1, after: 2 }]);
  const empty = diffObjects([], []);
  t.same(empty.objects, []);
  t.match(formatDiff(empty, 'markdown'), /No change/);
});

t.test('markdown output is cut at an object boundary when it would pass the limit', async (t) => {
  const base = Array.from({ length: 300 }, (_, i) => ({ kind: 'Application', metadata: { name: `app-${i}` }, spec: { v: 'x'.repeat(200) } }));
  const head = base.map((o) => ({ ...o, spec: { v: 'y'.repeat(200) } }));
  const md = formatDiff(diffObjects(base, head), 'markdown', { maxLength: 10_000 });
  t.ok(md.length <= 10_000);
  t.match(md, /too long to show in full/);
  t.equal((md.match(/<details>/g) ?? []).length, (md.match(/<\/details>/g) ?? []).length, 'no block left open');
});
