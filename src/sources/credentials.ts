import { readFileSync } from 'node:fs';
import { createError } from '../core/errors.js';
import { registerSecret } from './redact.js';

/**
 * Where git and GitHub credentials come from. Values are read from the
 * environment once and from mounted files on every use, so a rotated
 * Kubernetes Secret needs no restart. Every value read is registered for
 * redaction before it is used.
 */
export interface CredentialSources {
  /** HTTPS user name (default `git`; GitHub and most hosts ignore it with a token). */
  gitUsername?: string;
  /** HTTPS password or token. */
  gitPassword?: string;
  /** A mounted file holding the HTTPS password or token. */
  gitPasswordFile?: string;
  /** A mounted SSH private key for `ssh://` URLs. */
  sshKeyFile?: string;
  /** A known_hosts file; without it host keys are checked against the user's own. */
  sshKnownHostsFile?: string;
  /** GitHub token for the REST API. */
  githubToken?: string;
  /** A mounted file holding the GitHub token. */
  githubTokenFile?: string;
}

/** Reads credential settings from the environment (`GITOPS_K8S_GIT_*`, `GITHUB_TOKEN`). */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): CredentialSources {
  const sources: CredentialSources = {
    gitUsername: env.GITOPS_K8S_GIT_USERNAME || undefined,
    gitPassword: env.GITOPS_K8S_GIT_PASSWORD || undefined,
    gitPasswordFile: env.GITOPS_K8S_GIT_PASSWORD_FILE || undefined,
    sshKeyFile: env.GITOPS_K8S_SSH_KEY_FILE || undefined,
    sshKnownHostsFile: env.GITOPS_K8S_SSH_KNOWN_HOSTS_FILE || undefined,
    githubToken: env.GITOPS_K8S_GITHUB_TOKEN || env.GITHUB_TOKEN || undefined,
    githubTokenFile: env.GITOPS_K8S_GITHUB_TOKEN_FILE || undefined,
  };
  registerSecret(sources.gitPassword);
  registerSecret(sources.githubToken);
  return sources;
}

function readSecretFile(file: string, what: string): string {
  let value: string;
  try {
    value = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw createError('GK_CONFIG', `cannot read the ${what} file ${file}`, {}, { cause: error });
  }
  registerSecret(value);
  return value;
}

/** The GitHub token, if any (the file wins over the environment). */
export function githubToken(sources: CredentialSources): string | undefined {
  if (sources.githubTokenFile) return readSecretFile(sources.githubTokenFile, 'GitHub token');
  return sources.githubToken;
}

/**
 * A URL without userinfo, and the environment that makes git authenticate
 * for it. Credentials travel in environment variables (`GIT_CONFIG_*`,
 * `GIT_SSH_COMMAND`), never on the command line where `ps` would show them,
 * and never in the bare clone's config.
 */
export function gitAccess(url: string, sources: CredentialSources): { url: string; env: NodeJS.ProcessEnv } {
  const env: NodeJS.ProcessEnv = {};
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw createError('GK_BAD_REQUEST', 'repoURL is not a URL', { field: 'repoURL' }, { cause: error });
  }
  let user = decodeURIComponent(parsed.username);
  let password = decodeURIComponent(parsed.password);
  registerSecret(password);
  parsed.username = '';
  parsed.password = '';
  if (parsed.protocol === 'https:' || parsed.protocol === 'http:') {
    if (!password) {
      password = sources.gitPasswordFile ? readSecretFile(sources.gitPasswordFile, 'git password') : (sources.gitPassword ?? '');
      user = user || sources.gitUsername || 'git';
    }
    if (password) {
      const basic = Buffer.from(`${user || 'git'}:${password}`).toString('base64');
      registerSecret(basic);
      env.GIT_CONFIG_COUNT = '1';
      env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
      env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${basic}`;
    }
  } else if (parsed.protocol === 'ssh:') {
    if (user) parsed.username = user;
    const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const parts = ['ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes'];
    if (sources.sshKeyFile) parts.push('-i', quote(sources.sshKeyFile), '-o', 'IdentitiesOnly=yes');
    if (sources.sshKnownHostsFile) parts.push('-o', quote(`UserKnownHostsFile=${sources.sshKnownHostsFile}`));
    env.GIT_SSH_COMMAND = parts.join(' ');
  }
  return { url: parsed.toString(), env };
}
