import t from 'tap';
import { gitAccess } from '../../src/sources/credentials.js';
import { displayURL, redact, registerSecret } from '../../src/sources/redact.js';
import { tempDir, writeFiles } from '../fixtures/server-support/git-repos.js';

t.test("HTTPS credentials travel in git's environment, never in the URL git is given", async (t) => {
  const access = gitAccess('https://bot:url-password-123456@git.example.com/platform.git', {});
  t.equal(access.url, 'https://git.example.com/platform.git');
  t.equal(access.env.GIT_CONFIG_KEY_0, 'http.extraHeader');
  t.equal(access.env.GIT_CONFIG_VALUE_0, `Authorization: Basic ${Buffer.from('bot:url-password-123456').toString('base64')}`);
  t.equal(redact(`failed: ${access.env.GIT_CONFIG_VALUE_0}`), 'failed: Authorization: Basic ***');
});

t.test('a mounted password file is read on every use (rotation without restart)', async (t) => {
  const dir = tempDir('gk-cred-');
  writeFiles(dir, { password: 'first-password-123\n' });
  const sources = { gitPasswordFile: `${dir}/password`, gitUsername: 'x-access-token' };
  t.match(gitAccess('https://git.example.com/p.git', sources).env.GIT_CONFIG_VALUE_0, Buffer.from('x-access-token:first-password-123').toString('base64'));
  writeFiles(dir, { password: 'second-password-456\n' });
  t.match(gitAccess('https://git.example.com/p.git', sources).env.GIT_CONFIG_VALUE_0, Buffer.from('x-access-token:second-password-456').toString('base64'));
  t.equal(redact('x second-password-456 y'), 'x *** y', 'what was read is redacted from then on');
  t.throws(() => gitAccess('https://git.example.com/p.git', { gitPasswordFile: `${dir}/missing` }), { code: 'GK_CONFIG' });
});

t.test('ssh URLs get a non-interactive ssh with the mounted key and known hosts', async (t) => {
  const access = gitAccess('ssh://git@git.example.com/platform.git', { sshKeyFile: '/keys/id ed25519', sshKnownHostsFile: '/keys/known_hosts' });
  t.equal(access.url, 'ssh://git@git.example.com/platform.git');
  t.equal(
    access.env.GIT_SSH_COMMAND,
    "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -i '/keys/id ed25519' -o IdentitiesOnly=yes -o 'UserKnownHostsFile=/keys/known_hosts'",
  );
});

t.test('redaction covers userinfo, bearer tokens, GitHub token shapes and registered secrets', async (t) => {
  registerSecret('registered-secret-value');
  t.equal(redact('https://u:p@host/x and ssh://git@host/y'), 'https://***@host/x and ssh://***@host/y');
  t.equal(redact('Authorization: Bearer abc.def'), 'Authorization: Bearer ***');
  t.equal(redact('token ghp_0123456789abcdefghijABCDEFGHIJ012345 used'), 'token *** used');
  t.equal(redact('is registered-secret-value here'), 'is *** here');
  t.equal(displayURL('https://u:p@git.example.com/a.git?x=1#y'), 'https://git.example.com/a.git');
});
