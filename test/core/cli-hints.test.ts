import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli/cli.js';
import { cliPath, projectRoot } from '../fixtures/core-support/support.js';

async function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env, cwd });
  return { code, stdout, stderr };
}

/** A platform repo with a path source and no repoURL in gitops.yaml, in a git work tree whose origin has credentials. */
function pathRepo(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gk-hints-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'apps/web/site'), { recursive: true });
  writeFileSync(path.join(dir, 'apps/web/site/cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: site\n');
  for (const args of [
    ['init', '-q'],
    ['remote', 'add', 'origin', 'https://user:s3cret@git.example.com/platform.git'],
  ]) {
    spawnSync('git', args, { cwd: dir });
  }
  return dir;
}

t.test('explain takes --repo-url, as its message says', async (t) => {
  const dir = pathRepo(t);
  const without = await cli(['explain', dir, 'web/site'], dir);
  t.not(without.code, 0);
  t.match(without.stderr, 'pass --repo-url');
  const run = await cli(['explain', dir, 'web/site', '--repo-url', 'https://git.example.com/platform.git', '--revision', 'main'], dir);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /spec\.source\.repoURL: https:\/\/git\.example\.com\/platform\.git/);
  t.match(run.stdout, /spec\.source\.targetRevision: main/);
});

t.test('serve on a local folder without repoURL fills it in from the git remote, without credentials', async (t) => {
  const dir = pathRepo(t);
  const child = spawn(process.execPath, [cliPath, 'serve', '--dev', '--port', '0', dir], { cwd: projectRoot, env: { ...process.env, GITOPS_K8S_TOKEN: '' } });
  t.teardown(() => {
    child.kill();
  });
  let out = '';
  const ready = await new Promise<RegExpMatchArray>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)[\s\S]*dev token \(made for this run\): (\S+)/.exec(out);
      if (m) resolve(m);
    });
    child.on('exit', () => reject(new Error(`serve exited: ${out}`)));
  });
  const reply = await fetch(`${ready[1]}/api/v1/getparams.execute`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ready[2]}`, 'content-type': 'application/json' },
    body: JSON.stringify({ applicationSetName: 'dev', input: { parameters: {} } }),
  });
  const text = await reply.text();
  t.equal(reply.status, 200, text);
  t.match(text, '"repoURL":"https://git.example.com/platform.git"');
  t.notMatch(text, 's3cret');
});

t.test('bootstrap that cannot download the Argo CD install suggests --argocd-install', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gk-offline-kubectl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fake = path.join(dir, 'kubectl');
  writeFileSync(
    fake,
    `#!/bin/sh\necho 'error: accumulating resources: Get "https://raw.githubusercontent.com/x": ` +
      `dial tcp: lookup raw.githubusercontent.com on 127.0.0.53:53: server misbehaving' >&2\nexit 1\n`,
  );
  chmodSync(fake, 0o755);
  const run = await cli(['bootstrap', '--repo', 'https://git.example.com/platform.git'], projectRoot, { ...process.env, KUBECTL: fake });
  t.equal(run.code, 1);
  t.match(run.stderr, 'server misbehaving');
  t.match(run.stderr, 'pass a copy of it with --argocd-install FILE');
});
