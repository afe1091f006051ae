import t, { type Test } from 'tap';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openLocalRepo, renderPlatform } from '../../src/index.js';
import { renderModel } from '../../src/core/render/render-platform.js';
import { loadPlatformRepo } from '../../src/core/load/load-platform-repo.js';
import { openGitRemote } from '../../src/sources/git/git-remote.js';
import { makeBareRemote, makeWorkTree, platformFiles, tempDir } from '../fixtures/server-support/git-repos.js';
import { projectRoot } from '../helpers/project-root.js';

/** Puts the stand-in ssh first on PATH for this test; git runs it for ssh:// URLs as it would run OpenSSH. */
function useFakeSsh(t: Test, fail = false): string {
  const bin = tempDir('gk-fake-ssh-');
  copyFileSync(path.join(projectRoot, 'test/fixtures/server-support/fake-ssh.sh'), path.join(bin, 'ssh'));
  chmodSync(path.join(bin, 'ssh'), 0o755);
  const log = path.join(bin, 'log');
  writeFileSync(log, '');
  const saved = { PATH: process.env.PATH, FAKE_SSH_LOG: process.env.FAKE_SSH_LOG, FAKE_SSH_FAIL: process.env.FAKE_SSH_FAIL };
  process.env.PATH = `${bin}:${process.env.PATH}`;
  process.env.FAKE_SSH_LOG = log;
  if (fail) process.env.FAKE_SSH_FAIL = '1';
  else delete process.env.FAKE_SSH_FAIL;
  t.teardown(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  return log;
}

t.test("an ssh:// remote is fetched over git's ssh transport with the mounted key and known hosts, never prompting", async (t) => {
  const log = useFakeSsh(t);
  const remote = makeBareRemote(platformFiles());
  const secrets = tempDir('gk-ssh secrets-');
  mkdirSync(secrets, { recursive: true });
  const keyFile = path.join(secrets, 'id_ed25519');
  const knownHosts = path.join(secrets, 'known_hosts');
  writeFileSync(keyFile, '-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n');
  writeFileSync(knownHosts, 'git.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk\n');
  const source = openGitRemote({
    url: `ssh://git@git.example.com:2222${remote.bare}`,
    cacheDir: tempDir('gk-cache-'),
    credentials: { sshKeyFile: keyFile, sshKnownHostsFile: knownHosts },
    refreshIntervalMs: 0,
  });
  const commit = await source.resolve('main');
  t.match(commit, /^[0-9a-f]{40}$/);
  const files = await source.open(commit, '');
  const fromSsh = renderModel(loadPlatformRepo(files)).apps.map((r) => r.application);
  t.same(
    fromSsh,
    renderPlatform(openLocalRepo(makeWorkTree(platformFiles()))).apps.map((r) => r.application),
    'the same Applications as the files on disk',
  );
  const args = readFileSync(log, 'utf8').split('\n');
  for (const wanted of [
    'BatchMode=yes',
    'StrictHostKeyChecking=yes',
    'IdentitiesOnly=yes',
    `UserKnownHostsFile=${knownHosts}`,
    keyFile,
    'git@git.example.com',
    '2222',
  ]) {
    t.ok(args.includes(wanted), `ssh got ${wanted}`);
  }
  t.ok(
    args.some((a) => a.startsWith('git-upload-pack') && a.includes(remote.bare)),
    'and ran upload-pack for the repo',
  );
});

t.test('an ssh failure (a host key that does not match) is a GK_GIT error that names the repo, not a hang or a prompt', async (t) => {
  useFakeSsh(t, true);
  const remote = makeBareRemote(platformFiles());
  const source = openGitRemote({
    url: `ssh://git@git.example.com${remote.bare}`,
    cacheDir: tempDir('gk-cache-'),
    credentials: {},
    refreshIntervalMs: 0,
    fetchTimeoutMs: 10_000,
  });
  await t.rejects(source.resolve('main'), { code: 'GK_GIT', message: /fetching ssh:\/\/git\.example\.com\/.*: Host key verification failed\.$/ });
});
