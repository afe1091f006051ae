import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t, { type Test } from 'tap';
import { projectRoot as root } from '../helpers/project-root.js';

const bin = path.join(root, 'dist/src/gitops-k8s.cjs');

/** A platform repo of one cluster and one app whose values hold `template`. */
function repoWith(t: Test, template: string, gitops = ''): string {
  return t.testdir({
    'gitops.yaml': `repoURL: https://git.example.com/platform.git\nvars:\n  l: [${Array.from({ length: 100 }, (_, i) => i).join(', ')}]\n${gitops}`,
    clusters: { 'prod.yaml': 'provider: generic\nserver: https://prod.example.com\n' },
    apps: { web: { 'site.yaml': `repoURL: https://charts.example.com\nchart: site\nversion: 1.0.0\nvalues:\n  hosts: ${JSON.stringify(template)}\n` } },
  });
}

/** Runs the CLI, killed after 20 s: the template that froze the server ran for more than ten minutes. */
function run(args: string[]): { status: number | null; stdout: string; stderr: string; ms: number } {
  const started = Date.now();
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

t.test('the 165-byte nested each fails fast in lint, render and generate, naming file, line and field', async (t) => {
  const nested = `${'{{#each @root.vars.l}}'.repeat(5)}.${'{{/each}}'.repeat(5)}`;
  t.ok(nested.length <= 165);
  const dir = repoWith(t, nested);
  for (const args of [
    ['lint', dir],
    ['render', dir],
  ]) {
    const r = run(args);
    t.equal(r.status, 1, `${args[0]} exits 1`);
    t.equal(r.stdout, '', 'nothing on stdout');
    t.match(
      r.stderr,
      'apps/web/site.yaml:5: values.hosts: template runs more block bodies (each iteration is one) than 10,000; ' +
        'simplify it, or raise limits.maxTemplateSteps in gitops.yaml (at most 1,000,000) (cluster prod)',
    );
    t.ok(r.ms < 5000, `${args[0]} took ${r.ms} ms`);
  }
  const generate = spawnSync(process.execPath, [bin, 'generate'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, ARGOCD_APP_SOURCE_REPO_URL: 'https://git.example.com/platform.git' },
  });
  t.equal(generate.status, 1, 'generate exits 1');
  t.match(generate.stderr, /values\.hosts: template runs more block bodies/);
});

t.test('5,000 nested ifs fail fast; gitops.yaml limits are honoured within their ceiling', async (t) => {
  const ifs = `${'{{#if app}}'.repeat(5000)}x${'{{/if}}'.repeat(5000)}`;
  let r = run(['lint', repoWith(t, ifs, 'limits:\n  maxTemplateLength: 10000000\n')]);
  t.equal(r.status, 1);
  t.match(
    r.stderr,
    'apps/web/site.yaml:5: values.hosts: template nests blocks deeper than 10; simplify it, or raise limits.maxTemplateDepth in gitops.yaml (at most 32)',
  );
  t.ok(r.ms < 5000, `took ${r.ms} ms`);

  const deep = `${'{{#if app}}'.repeat(12)}x${'{{/if}}'.repeat(12)}`;
  r = run(['render', repoWith(t, deep, 'limits:\n  maxTemplateDepth: 12\n')]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, 'hosts: x');
  r = run(['lint', repoWith(t, deep, 'limits:\n  maxTemplateDepth: 1000\n')]);
  t.equal(r.status, 0, 'raised up to the ceiling of 32');
  r = run(['lint', repoWith(t, '{{#each vars.l}}{{this}}{{/each}}', 'limits:\n  maxTemplateSteps: 99\n')]);
  t.equal(r.status, 1, 'and lowered');
  t.match(r.stderr, 'than 99;');
  r = run(['lint', repoWith(t, 'x', 'limits:\n  maxTemplateSteps: 0\n')]);
  t.equal(r.status, 1);
  t.match(r.stderr, /gitops\.yaml:\d+: limits\.maxTemplateSteps: /, 'a limit under 1 is refused');
});

t.test('strictness and Helm syntax reach the CLI with file and field', async (t) => {
  let r = run(['lint', repoWith(t, '{{lookup vars "typo"}}')]);
  t.match(r.stderr, 'apps/web/site.yaml:5: values.hosts: unknown template variable "typo" (in lookup) (it has: l)');
  r = run(['lint', repoWith(t, '{{ .Values.hosts }}')]);
  t.match(r.stderr, 'apps/web/site.yaml:5: values.hosts: {{ .Values.hosts }} is Helm/Go template syntax');
  t.match(r.stderr, 'write {{vars.hosts}}');
});
