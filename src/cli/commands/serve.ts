import { type Command, Option } from 'commander';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { collect, EXIT_OK, splitList, type CliIO } from '../cli-io.js';
import { defineCommand } from '../define-command.js';
import { createError } from '../../core/errors.js';
import { buildApp } from '../../server/app.js';
import { generateToken } from '../../server/auth.js';
import { credentialsFromEnv } from '../../sources/credentials.js';
import { displayURL } from '../../sources/redact.js';
import { ARGOCD_API_VARIABLES, formatEnvironmentHelp, RENDERING_VARIABLES } from './environment-help.js';

interface ServeOptions {
  repo?: string;
  port: string;
  host?: string;
  tokenFile?: string;
  dev?: boolean;
  allow?: string[];
  cacheDir?: string;
  github?: boolean;
  githubApiUrl?: string;
  refreshInterval: string;
  requestTimeout: string;
  maxDrop?: string;
  bodyLimit: string;
  cacheMb: string;
  argocdNamespace?: string;
  logLevel: string;
}

/** pino's levels, most severe first. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function numberOption(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw createError('GK_USAGE', `${name} must be a number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  return n;
}

/** Single-quotes a string for a POSIX shell. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function registerServe(program: Command, io: CliIO): void {
  const command = program
    .command('serve')
    .description('run the ApplicationSet plugin generator (POST /api/v1/getparams.execute)')
    .argument('[repo]', 'the default platform repo: a git URL or a local folder (same as --repo)')
    .option('--repo <url|dir>', 'the default platform repo: https://, ssh://, file:// URL or a local folder')
    .option('--port <port>', 'port to listen on', '4355')
    .option('--host <host>', 'address to listen on (default 0.0.0.0; 127.0.0.1 with --dev)')
    .option('--token-file <path>', 'file holding the bearer token, re-read when it changes (else GITOPS_K8S_TOKEN)')
    .option('--dev', 'make a token and print a ready-to-paste curl call (for trying it out)')
    .option('--allow <repo>', 'repos callers may name (exact, or a prefix ending in *); default: only the default repo', collect)
    .option('--cache-dir <dir>', 'where bare clones are kept')
    .option('--github', 'read https://github.com/<owner>/<repo> through the GitHub REST API instead of git')
    .option('--github-api-url <url>', 'GitHub (Enterprise) API base; default GITHUB_API_URL or https://api.github.com')
    .option('--refresh-interval <ms>', 'fetch a branch again when its last fetch is older than this', '1000')
    .option('--request-timeout <ms>', 'answer 504 when a request takes longer', '25000')
    .option('--max-drop <share>', 'refuse (503) a reply dropping more than this share (0..1) of the last good reply to the same ApplicationSet')
    .option('--body-limit <bytes>', 'largest request body (413 above)', '65536')
    .option('--cache-mb <mb>', 'memory for loaded commits and gzipped replies', '256')
    .option('--argocd-namespace <ns>', 'namespace of Argo CD, when gitops.yaml does not say')
    .addOption(new Option('--log-level <level>', 'how much the server logs').choices(LOG_LEVELS).default('info'))
    .addHelpText(
      'after',
      formatEnvironmentHelp([
        { name: 'GITOPS_K8S_TOKEN', what: 'the bearer token callers send (or --token-file)' },
        { name: 'GITOPS_K8S_GIT_USERNAME', what: 'HTTPS git user name' },
        { name: 'GITOPS_K8S_GIT_PASSWORD', what: 'HTTPS git password or token' },
        { name: 'GITOPS_K8S_GIT_PASSWORD_FILE', what: 'a file holding it, instead' },
        { name: 'GITOPS_K8S_SSH_KEY_FILE', what: 'SSH private key for ssh:// repos' },
        { name: 'GITOPS_K8S_SSH_KNOWN_HOSTS_FILE', what: 'known_hosts for ssh://', default: "the user's own" },
        { name: 'GITOPS_K8S_GITHUB_TOKEN', what: 'GitHub token for --github (GITHUB_TOKEN too)' },
        { name: 'GITOPS_K8S_GITHUB_TOKEN_FILE', what: 'a file holding it, instead' },
        { name: 'GITHUB_API_URL', what: 'GitHub (Enterprise) API base', default: 'https://api.github.com' },
        { name: 'GITOPS_K8S_WEBHOOK_SECRET', what: 'GitHub webhook secret', default: 'unset: webhooks answer 503' },
        { name: 'GITHUB_TOKEN', what: 'token for pull-request preview comments' },
        { name: 'GITHUB_APP_ID', what: 'or a GitHub App, with GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_FILE' },
        { name: 'GITHUB_APP_PRIVATE_KEY', what: "the GitHub App's private key (PEM)" },
        { name: 'GITHUB_APP_PRIVATE_KEY_FILE', what: 'a file holding it, instead' },
        { name: 'GITOPS_K8S_GITLAB_WEBHOOK_TOKEN', what: 'GitLab webhook secret token', default: 'unset: GitLab webhooks answer 503' },
        { name: 'GITLAB_TOKEN', what: 'GitLab access token (api scope) for merge-request preview notes' },
        { name: 'GITLAB_API_URL', what: 'self-managed GitLab API base', default: 'https://gitlab.com/api/v4' },
        { name: 'GITOPS_K8S_CHECK_RUNS', what: 'true: report previews as check runs (GitHub App only)', default: 'false' },
        { name: 'GITOPS_K8S_PREVIEW_PATH', what: 'where the platform repo sits in the Git repo, for previews', default: 'the root' },
        { name: 'GITOPS_K8S_APPSET_WEBHOOK_URL', what: "Argo CD's ApplicationSet webhook, passed each push" },
        { name: 'GITOPS_K8S_PREVIEW_MANIFESTS', what: 'true: previews also show what the changed Applications deploy (as diff --manifests)', default: 'false' },
        ...RENDERING_VARIABLES.filter((v) => !v.name.startsWith('GITOPS_K8S_GIT_') && !v.name.startsWith('GITOPS_K8S_SSH_')),
        ...ARGOCD_API_VARIABLES,
      ]),
    );
  defineCommand(io, {
    command,
    run: async (repoArgument: string | undefined, opts: ServeOptions) => {
      const repo = opts.repo ?? repoArgument;
      if (!repo) throw createError('GK_USAGE', 'serve needs a platform repo: gitops-k8s serve --repo URL|DIR');
      let token = io.env.GITOPS_K8S_TOKEN || undefined;
      if (opts.dev && !token && !opts.tokenFile) token = generateToken();
      if (!token && !opts.tokenFile) {
        throw createError('GK_USAGE', 'no token: set GITOPS_K8S_TOKEN or pass --token-file PATH (or --dev to make one for trying it out)');
      }
      const port = numberOption(opts.port, '--port', 0, 65535);
      const host = opts.host ?? (opts.dev ? '127.0.0.1' : '0.0.0.0');
      const isURL = /^[a-z][a-z0-9+.-]*:\/\//i.test(repo);
      const app = await buildApp({
        repo: isURL ? repo : path.resolve(io.cwd, repo),
        localRepoURL: isURL ? undefined : gitRemoteOf(path.resolve(io.cwd, repo)),
        cwd: io.cwd,
        token: opts.tokenFile ? undefined : token,
        tokenFile: opts.tokenFile ? path.resolve(io.cwd, opts.tokenFile) : undefined,
        allow: splitList(opts.allow),
        cacheDir: opts.cacheDir ? path.resolve(io.cwd, opts.cacheDir) : undefined,
        credentials: credentialsFromEnv(io.env),
        github: opts.github ? { apiUrl: opts.githubApiUrl ?? io.env.GITHUB_API_URL } : undefined,
        refreshIntervalMs: numberOption(opts.refreshInterval, '--refresh-interval', 0, 3_600_000),
        requestTimeoutMs: numberOption(opts.requestTimeout, '--request-timeout', 100, 600_000),
        maxDrop: opts.maxDrop === undefined ? undefined : numberOption(opts.maxDrop, '--max-drop', 0, 1),
        bodyLimit: numberOption(opts.bodyLimit, '--body-limit', 1024, 64 * 1024 * 1024),
        cacheBytes: numberOption(opts.cacheMb, '--cache-mb', 1, 65536) * 1024 * 1024,
        argocdNamespace: opts.argocdNamespace,
        logger: { level: opts.logLevel, stream: { write: (line: string) => io.stderr(line) } },
      });
      const closed = new Promise<void>((resolve) => app.addHook('onClose', async () => resolve()));
      const stop = (): void => {
        void app.close();
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      try {
        await app.listen({ port, host });
      } catch (error) {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        await app.close();
        throw createError('GK_USAGE', `cannot listen on ${host}:${port}: ${(error as Error).message}`, {}, { cause: error });
      }
      const address = app.server.address();
      const actualPort = typeof address === 'object' && address ? address.port : port;
      const base = `http://${host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${actualPort}`;
      io.stdout(`gitops-k8s serve: listening on ${base} for ${displayURL(app.gitops.defaultRepo)}\n`);
      if (opts.dev && token) {
        io.stdout(`dev token (made for this run): ${token}\ntry it:\n`);
        const headers = `-H ${shellQuote(`Authorization: Bearer ${token}`)} -H 'Content-Type: application/json'`;
        io.stdout(`curl -sS -X POST ${base}/api/v1/getparams.execute ${headers} -d '{"applicationSetName":"dev","input":{"parameters":{}}}'\n`);
      }
      await closed;
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      return EXIT_OK;
    },
  });
}

/**
 * The URL Argo CD would read a local platform repo from: its git remote
 * (`origin`, else the only one), without credentials. Path sources need it
 * when gitops.yaml has no repoURL; undefined outside a git work tree.
 */
function gitRemoteOf(dir: string): string | undefined {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  try {
    const remotes = git('remote').split('\n').filter(Boolean);
    const remote = remotes.includes('origin') ? 'origin' : remotes.length === 1 ? remotes[0]! : undefined;
    return remote === undefined ? undefined : displayURL(git('remote', 'get-url', remote)) || undefined;
  } catch {
    return undefined;
  }
}
