/**
 * Helm charts pulled once per (repository, chart, version) into a cache
 * folder that outlives the run: a pinned chart version never changes, so a
 * warm cache costs no network at all.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitopsError, isGitopsError } from '../core/errors.js';
import { displayURL, redact, registerSecret } from '../sources/redact.js';
import { runTool } from '../tools/external-tool.js';
import { credentialHint, type RepoCredential, type RepoCredentials } from './repo-credentials.js';

export interface ChartRef {
  /** `https://…` chart repository or `oci://host/path` registry, as mapped (`--repo-map`). */
  repoURL: string;
  chart: string;
  version: string;
}

export interface FetchChartOptions {
  helm: string;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  /** Talk to OCI registries over plain HTTP (a loopback or in-cluster registry). */
  plainHttp: boolean;
  passCredentials: boolean;
  what: string;
  /** The repository Secret for `repoURL` (findRepoCredential), if any. */
  credential?: RepoCredential;
  /** All of them, to say in an error where credentials would come from. */
  credentials?: RepoCredentials;
  /** Pulls of this run by cache folder: Applications sharing a chart wait for one pull (and share its failure). */
  pulls: Map<string, Promise<string>>;
}

/**
 * A chart pulled with a project's Secret is that project's: Argo CD would refuse an app of another
 * project, so such an app never reuses the pull (in this run or from the cache) and pulls on its own.
 */
function chartDirName(ref: ChartRef, credential: RepoCredential | undefined): string {
  const scope = credential?.project === undefined ? '' : `\u0000project:${credential.project}`;
  return createHash('sha256').update(`${ref.repoURL}\u0000${ref.chart}\u0000${ref.version}${scope}`).digest('hex').slice(0, 32);
}

/** The folder of the unpacked chart, pulled on first use. */
export function fetchChart(ref: ChartRef, options: FetchChartOptions): Promise<string> {
  const dir = path.join(options.cacheDir, 'charts', chartDirName(ref, options.credential));
  let pull = options.pulls.get(dir);
  if (!pull) {
    pull = pullChart(ref, dir, options);
    options.pulls.set(dir, pull);
  }
  return pull;
}

async function pullChart(ref: ChartRef, dir: string, options: FetchChartOptions): Promise<string> {
  const chartDir = path.join(dir, ref.chart.split('/').pop()!);
  if (existsSync(chartDir)) return chartDir;
  mkdirSync(path.dirname(dir), { recursive: true });
  // Unpacked beside the cache entry, then renamed: a killed run never leaves half a chart that looks complete.
  const tmp = mkdtempSync(`${dir}.tmp-`);
  // Credentials go to helm in files of a private folder (0700, files 0600) and on stdin, never
  // in its arguments, where `ps` would show them; the folder is removed when helm is done.
  const secrets = options.credential ? mkdtempSync(path.join(os.tmpdir(), 'gitops-k8s-creds-')) : undefined;
  try {
    const oci = ref.repoURL.startsWith('oci://');
    const args = oci ? ociPullArgs(ref, tmp, options, secrets) : await httpPullArgs(ref, tmp, options, secrets);
    await runTool(options.helm, args, { env: options.env, what: options.what, timeoutMs: 300_000 });
    const [unpacked] = readdirSync(tmp);
    if (unpacked === undefined) throw new Error(`helm pull left ${tmp} empty`);
    mkdirSync(dir, { recursive: true });
    renameSync(path.join(tmp, unpacked), chartDir);
    return chartDir;
  } catch (error) {
    if (existsSync(chartDir)) return chartDir;
    throw explainFailure(error, ref, options);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    if (secrets) rmSync(secrets, { recursive: true, force: true });
  }
}

function writePrivate(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  return file;
}

/** `--cert-file`/`--key-file` and `--insecure-skip-tls-verify` of a credential. */
function tlsArgs(credential: RepoCredential, secrets: string): string[] {
  const args: string[] = [];
  if (credential.tlsClientCertData && credential.tlsClientCertKey) {
    args.push(
      '--cert-file',
      writePrivate(secrets, 'client.crt', credential.tlsClientCertData),
      '--key-file',
      writePrivate(secrets, 'client.key', credential.tlsClientCertKey),
    );
  }
  if (credential.insecure) args.push('--insecure-skip-tls-verify');
  return args;
}

/**
 * `helm pull oci://…`: the user name and password in a registry config of
 * their own (docker's config.json, which helm's registry client reads), so
 * neither the user's `helm registry login` nor argv is involved.
 */
function ociPullArgs(ref: ChartRef, tmp: string, options: FetchChartOptions, secrets: string | undefined): string[] {
  const args = ['pull', `${ref.repoURL.replace(/\/+$/, '')}/${ref.chart}`, '--version', ref.version, '--untar', '--untardir', tmp];
  const credential = options.credential;
  if (options.plainHttp || credential?.insecureOCIForceHttp) args.push('--plain-http');
  if (!credential || !secrets) return args;
  if (credential.username !== undefined && credential.password !== undefined) {
    const host = new URL(ref.repoURL).host;
    const auth = Buffer.from(`${credential.username}:${credential.password}`).toString('base64');
    registerSecret(auth);
    args.push('--registry-config', writePrivate(secrets, 'registry.json', JSON.stringify({ auths: { [host]: { auth } } })));
  }
  args.push(...tlsArgs(credential, secrets));
  return args;
}

/**
 * `helm pull` from an HTTP(S) chart repository. Without credentials,
 * `--repo URL`. With them, the repository is added to a repositories.yaml
 * of its own (`helm repo add --password-stdin`, which also fetches the
 * index with them), and the chart pulled by that repository's name.
 */
async function httpPullArgs(ref: ChartRef, tmp: string, options: FetchChartOptions, secrets: string | undefined): Promise<string[]> {
  const credential = options.credential;
  if (!credential || !secrets) {
    const args = ['pull', ref.chart, '--repo', ref.repoURL, '--version', ref.version, '--untar', '--untardir', tmp];
    if (options.passCredentials) args.push('--pass-credentials');
    return args;
  }
  const config = ['--repository-config', path.join(secrets, 'repositories.yaml'), '--repository-cache', path.join(secrets, 'cache')];
  const add = ['repo', 'add', 'gitops-k8s-creds', ref.repoURL, ...config, ...tlsArgs(credential, secrets)];
  if (options.passCredentials) add.push('--pass-credentials');
  if (credential.username !== undefined && credential.password !== undefined) add.push('--username', credential.username, '--password-stdin');
  await runTool(options.helm, add, { env: options.env, what: options.what, timeoutMs: 300_000, input: credential.password ?? '' });
  return ['pull', `gitops-k8s-creds/${ref.chart}`, ...config, '--version', ref.version, '--untar', '--untardir', tmp];
}

const REFUSED = /\b(401|403)\b|unauthorized|forbidden|authentication required|access.{0,30}denied/i;

/** A failed pull with credentials scrubbed; access refused by the repository becomes GK_REPO_AUTH saying where credentials come from. */
function explainFailure(error: unknown, ref: ChartRef, options: FetchChartOptions): unknown {
  if (!isGitopsError(error)) return error;
  const problems = error.problems.map((p) => {
    const message = redact(p.message);
    if (p.code !== 'GK_TOOL_FAILED' || !REFUSED.test(message)) return { ...p, message };
    const hint = credentialHint(options.credentials ?? { entries: [] }, options.credential, displayURL(ref.repoURL));
    return { ...p, code: 'GK_REPO_AUTH' as const, message: `${message}\n${displayURL(ref.repoURL)} refused access (authentication failed); ${hint}` };
  });
  return new GitopsError(problems);
}
