import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { detectGitPrefix } from '../../src/cli/git-prefix.js';
import { runCli } from '../../src/cli/cli.js';

const platform: Record<string, string> = {
  'gitops.yaml': 'repoURL: https://git.example.com/mono.git\ntargetRevision: main\n',
  'clusters/dev.yaml': 'provider: kind\nserver: https://dev.example.com\n',
  'apps/web/site/Chart.yaml': 'apiVersion: v2\nname: site\nversion: 1.0.0\n',
};

function monorepo(t: Test, extra: Record<string, string> = {}): string {
  const root = mkdtempSync(path.join(tmpdir(), 'gk-mono-'));
  t.teardown(() => undefined);
  for (const [file, text] of Object.entries({ ...platform, ...extra })) {
    const full = path.join(root, 'deploy/platform', file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  execFileSync('git', ['init', '-q', root]);
  return root;
}

async function render(cwd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['render', ...args, '-o', 'json', '--only', 'applications'], {
    stdout: (s) => (out += s),
    stderr: (s) => (err += s),
    env: {},
    cwd,
  });
  return { code, out, err };
}

t.test('a folder inside a git work tree knows its prefix; the top, or no work tree, has none', async (t) => {
  const root = monorepo(t);
  t.equal(detectGitPrefix(path.join(root, 'deploy/platform')), 'deploy/platform');
  t.equal(detectGitPrefix(path.join(root, 'deploy/platform/apps')), 'deploy/platform/apps');
  t.equal(detectGitPrefix(root), undefined);
  t.equal(detectGitPrefix(mkdtempSync(path.join(tmpdir(), 'gk-nogit-'))), undefined);
  writeFileSync(path.join(root, '.gitignore'), 'deploy/\n');
  t.equal(detectGitPrefix(path.join(root, 'deploy/platform')), undefined, 'a folder git ignores is not in the repository');
});

t.test('render of a platform repo in a sub-folder of a git repo prefixes its path sources, as the CMP would', async (t) => {
  const root = monorepo(t);
  const { code, out, err } = await render(root, ['deploy/platform']);
  t.equal(code, 0, err);
  const [app] = JSON.parse(out) as { spec: { source: { path: string } } }[];
  t.equal(app!.spec.source.path, 'deploy/platform/apps/web/site');
});

t.test('gitops.yaml path and --path-prefix still win over what git says', async (t) => {
  const root = monorepo(t, { 'gitops.yaml': `${platform['gitops.yaml']}path: elsewhere\n` });
  const fromSettings = JSON.parse((await render(root, ['deploy/platform'])).out) as { spec: { source: { path: string } } }[];
  t.equal(fromSettings[0]!.spec.source.path, 'elsewhere/apps/web/site');
  const fromFlag = JSON.parse((await render(root, ['deploy/platform', '--path-prefix', 'x/y'])).out) as { spec: { source: { path: string } } }[];
  t.equal(fromFlag[0]!.spec.source.path, 'x/y/apps/web/site');
});
