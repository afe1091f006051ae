import t from 'tap';
import { runCli } from '../../src/cli/cli.js';
import type { CliIO } from '../../src/cli/cli-io.js';
import { makeWorkTree, platformFiles, tempDir } from '../fixtures/server-support/git-repos.js';

function capture(env: NodeJS.ProcessEnv = {}): CliIO & { out: () => string; err: () => string; waitFor: (re: RegExp) => Promise<RegExpExecArray> } {
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  return {
    stdout: (s) => {
      out += s;
      for (const w of waiters) w();
    },
    stderr: (s) => {
      err += s;
    },
    env,
    cwd: process.cwd(),
    out: () => out,
    err: () => err,
    waitFor: (re) =>
      new Promise((resolve) => {
        const check = (): void => {
          const m = re.exec(out);
          if (m) resolve(m);
        };
        waiters.push(check);
        check();
      }),
  };
}

t.test('serve refuses to start without a token', async (t) => {
  const io = capture();
  const code = await runCli(['serve', makeWorkTree(platformFiles())], io);
  t.equal(code, 2);
  t.match(io.err(), /GITOPS_K8S_TOKEN/);
  t.match(io.err(), /--dev/);
});

t.test('serve --dev makes a token, prints a working curl call and stops on SIGTERM', async (t) => {
  const dir = makeWorkTree(platformFiles());
  const io = capture();
  const running = runCli(['serve', '--dev', '--port', '0', '--cache-dir', tempDir('gk-serve-cache-'), dir], io);
  const [, url, token] = await io.waitFor(/curl -sS -X POST (\S+) -H 'Authorization: Bearer (\S+)'/);
  t.match(io.out(), /listening on http:\/\/127\.0\.0\.1:\d+/);
  const res = await fetch(url!, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{"applicationSetName":"dev","input":{"parameters":{}}}',
  });
  t.equal(res.status, 200);
  t.equal(((await res.json()) as { output: { parameters: unknown[] } }).output.parameters.length, 5);
  const wrong = await fetch(url!, { method: 'POST', headers: { authorization: 'Bearer nope-nope-nope-nope', 'content-type': 'application/json' }, body: '{}' });
  t.equal(wrong.status, 403);
  process.emit('SIGTERM', 'SIGTERM');
  t.equal(await running, 0, 'resolves once the server has closed');
  t.notMatch(io.err(), token!, 'the token is printed for the user, never logged');
  t.match(io.err(), /"msg":"getparams answered"/);
});

t.test('serve takes GITOPS_K8S_TOKEN and rejects a short one', async (t) => {
  const dir = makeWorkTree(platformFiles());
  const short = capture({ GITOPS_K8S_TOKEN: 'short' });
  t.equal(await runCli(['serve', '--port', '0', dir], short), 1);
  t.match(short.err(), /shorter than 16/);
  const io = capture({ GITOPS_K8S_TOKEN: 'env-token-0123456789abcdef' });
  const running = runCli(['serve', '--port', '0', '--host', '127.0.0.1', dir], io);
  const [, base] = await io.waitFor(/listening on (\S+)/);
  t.notMatch(io.out(), /curl/, 'no curl call without --dev');
  const res = await fetch(`${base}/api/v1/getparams.execute`, {
    method: 'POST',
    headers: { authorization: 'Bearer env-token-0123456789abcdef', 'content-type': 'application/json' },
    body: '{}',
  });
  t.equal(res.status, 200);
  process.emit('SIGTERM', 'SIGTERM');
  t.equal(await running, 0);
  t.notMatch(io.err(), 'env-token-0123456789abcdef');
});
