/**
 * Credentials for private chart repositories, OCI registries and Git
 * sources, read from Argo CD's own repository Secrets: the file or folder
 * named by GITOPS_K8S_REPO_CREDENTIALS holds Kubernetes Secret manifests
 * (`kubectl get secret -n argocd -l argocd.argoproj.io/secret-type=repository -o yaml`
 * works as it is), never anything of the platform repo.
 *
 * Matching follows Argo CD (util/db/repository_secrets.go): a `repository`
 * Secret names one URL exactly, a `repo-creds` Secret a prefix, the longest
 * prefix winning; URLs compare case-insensitively without a trailing `/` or
 * `.git`. Unlike Argo CD's plain string prefix, a prefix matches only on URL
 * boundaries (same scheme, host and port, then whole path segments): a
 * template for `https://charts.example.com` never sends its password to
 * `https://charts.example.com.evil.test` or `https://charts.example.com@evil.test`.
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { isPathInside } from './resolve-inside.js';
import { createError, type GitopsError } from '../core/errors.js';
import { isPlainObject } from '../core/layering/merge.js';
import { parseYamlStream } from '../core/yaml/parse-yaml-stream.js';
import { registerSecret } from '../sources/redact.js';

export const REPO_CREDENTIALS_VARIABLE = 'GITOPS_K8S_REPO_CREDENTIALS';

const SECRET_TYPE_LABEL = 'argocd.argoproj.io/secret-type';

/** What a credential is used for: an HTTP(S) chart repository, an OCI registry, a Git repository. */
export type RepoKind = 'helm' | 'oci' | 'git';

/** One Argo CD repository Secret, decoded. */
export interface RepoCredential {
  /** The file it was read from, and the Secret's name, for messages. */
  file: string;
  name: string;
  secretType: 'repository' | 'repo-creds';
  /** `url` as written. */
  url: string;
  type: 'git' | 'helm' | 'oci';
  project?: string;
  username?: string;
  password?: string;
  tlsClientCertData?: string;
  tlsClientCertKey?: string;
  insecure: boolean;
  enableOCI: boolean;
  forceHttpBasicAuth: boolean;
  insecureOCIForceHttp: boolean;
  /** Argo CD fields that are set but that gitops-k8s cannot honour: using this Secret is an error. */
  unsupported: string[];
}

export interface RepoCredentials {
  /** Where they were read from (the variable's value), for messages; undefined when the variable is unset. */
  source?: string;
  entries: RepoCredential[];
}

/** Fields whose value is used when fetching. */
const HONOURED = [
  'url',
  'type',
  'username',
  'password',
  'tlsClientCertData',
  'tlsClientCertKey',
  'insecure',
  'enableOCI',
  'forceHttpBasicAuth',
  'insecureOCIForceHttp',
  'project',
  'name',
];
/** Argo CD fields that change nothing about fetching a chart or a commit once. */
const NO_EFFECT = ['enableLfs', 'insecureIgnoreHostKey', 'depth', 'enablePartialClone', 'sparsePaths'];
/** Argo CD fields of ways to authenticate that gitops-k8s does not implement. */
const UNSUPPORTED = [
  'bearerToken',
  'sshPrivateKey',
  'githubAppID',
  'githubAppInstallationID',
  'githubAppPrivateKey',
  'githubAppEnterpriseBaseUrl',
  'gcpServiceAccountKey',
  'useAzureWorkloadIdentity',
  'proxy',
  'noProxy',
];
const BOOLEANS = [
  'insecure',
  'enableOCI',
  'forceHttpBasicAuth',
  'insecureOCIForceHttp',
  'enableLfs',
  'insecureIgnoreHostKey',
  'enablePartialClone',
  'useAzureWorkloadIdentity',
];
const SECRET_FIELDS = ['password', 'tlsClientCertKey', 'bearerToken', 'sshPrivateKey', 'githubAppPrivateKey', 'gcpServiceAccountKey'];

function refuse(file: string, message: string, field?: string): GitopsError {
  return createError('GK_REPO_CREDENTIALS', message, { file, ...(field === undefined ? {} : { field }) });
}

/** Go's strconv.ParseBool, which Argo CD reads these flags with. */
function parseBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The Secret's fields: `data` decoded from base64, then `stringData` over it (as the API server merges them). */
function secretFields(file: string, secret: Record<string, unknown>, label: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const key of ['data', 'stringData'] as const) {
    const block = secret[key];
    if (block === undefined || block === null) continue;
    if (!isPlainObject(block)) throw refuse(file, `${label}: ${key} is not a map`, key);
    for (const [name, value] of Object.entries(block)) {
      if (typeof value !== 'string') throw refuse(file, `${label}: ${key}.${name} is not a string (quote it)`, `${key}.${name}`);
      if (key === 'data') {
        const compact = value.replace(/\s+/g, '');
        if (compact.length % 4 !== 0 || !BASE64.test(compact))
          throw refuse(file, `${label}: data.${name} is not base64 (put plain text under stringData)`, `data.${name}`);
        fields.set(name, Buffer.from(compact, 'base64').toString('utf8'));
      } else {
        fields.set(name, value);
      }
    }
  }
  return fields;
}

/** `host/path` as Argo CD writes OCI repositories, given the scheme it means. */
function withScheme(url: string, oci: boolean): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  if (oci) return `oci://${url}`;
  // scp-like git URLs (git@host:org/repo), as Argo CD's NormalizeGitURL turns them into ssh://.
  const scp = /^([^@/:]+@)?([^/:]+):(?!\/)(.*)$/.exec(url);
  if (scp) return `ssh://${scp[1] ?? ''}${scp[2]}/${scp[3]}`;
  return url;
}

interface MatchURL {
  protocol: string;
  host: string;
  username: string;
  hasPassword: boolean;
  /** Path without a trailing `/` or `.git`, lower case; `` for the root. */
  path: string;
}

/** A URL in the form that is compared, or undefined when it is not one. */
function matchURL(raw: string, oci: boolean): MatchURL | undefined {
  let u: URL;
  try {
    u = new URL(withScheme(raw.trim(), oci).toLowerCase());
  } catch {
    return undefined;
  }
  if (!u.host) return undefined;
  const p = decodeURIComponent(u.pathname)
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '');
  return { protocol: u.protocol, host: u.host, username: decodeURIComponent(u.username), hasPassword: u.password !== '', path: p };
}

/** Parses the Secrets of one file; every entry is checked, nothing unknown is skipped. */
export function parseRepoCredentials(file: string, text: string): RepoCredential[] {
  const out: RepoCredential[] = [];
  const objects: unknown[] = [];
  for (const doc of parseYamlStream(text, { uniqueKeys: true })) {
    // Only where the error is: YAML's own message quotes the line, which may be a password.
    const error = doc.errors[0];
    if (error) throw refuse(file, `not valid YAML at line ${error.line}, column ${error.column}`);
    const value = doc.toData(100);
    if (value === null || value === undefined) continue;
    if (isPlainObject(value) && typeof value.kind === 'string' && value.kind.endsWith('List')) {
      if (!Array.isArray(value.items)) throw refuse(file, `a ${value.kind} without items`, 'items');
      objects.push(...value.items);
    } else {
      objects.push(value);
    }
  }
  for (const [i, value] of objects.entries()) {
    if (!isPlainObject(value) || value.kind !== 'Secret' || value.apiVersion !== 'v1') {
      throw refuse(file, `object ${i + 1} is not a Kubernetes Secret (apiVersion: v1, kind: Secret)`, 'kind');
    }
    const metadata = isPlainObject(value.metadata) ? value.metadata : {};
    const name = typeof metadata.name === 'string' ? metadata.name : `#${i + 1}`;
    const label = `Secret ${name}`;
    const labels = isPlainObject(metadata.labels) ? metadata.labels : {};
    const secretType = labels[SECRET_TYPE_LABEL];
    if (secretType !== 'repository' && secretType !== 'repo-creds') {
      throw refuse(
        file,
        `${label}: not labelled ${SECRET_TYPE_LABEL}: repository or repo-creds (got ${JSON.stringify(secretType ?? null)})`,
        `metadata.labels.${SECRET_TYPE_LABEL}`,
      );
    }
    const fields = secretFields(file, value, label);
    for (const f of SECRET_FIELDS) registerSecret(fields.get(f));
    for (const key of fields.keys()) {
      if (![...HONOURED, ...NO_EFFECT, ...UNSUPPORTED].includes(key)) {
        throw refuse(file, `${label}: ${key} is not a field of an Argo CD repository Secret (gitops-k8s reads ${HONOURED.join(', ')})`, key);
      }
    }
    const flags: Record<string, boolean> = {};
    for (const key of BOOLEANS) {
      const raw = fields.get(key);
      if (raw === undefined || raw === '') continue;
      const parsed = parseBool(raw);
      if (parsed === undefined) throw refuse(file, `${label}: ${key} must be "true" or "false" (got ${JSON.stringify(raw)})`, key);
      flags[key] = parsed;
    }
    const type = (fields.get('type') || 'git').toLowerCase();
    if (type !== 'git' && type !== 'helm' && type !== 'oci')
      throw refuse(file, `${label}: type must be git, helm or oci (got ${JSON.stringify(fields.get('type'))})`, 'type');
    const url = fields.get('url') ?? '';
    if (url === '') throw refuse(file, `${label}: url is missing`, 'url');
    const parsed = matchURL(url, type === 'oci' || flags.enableOCI === true);
    if (!parsed) throw refuse(file, `${label}: url ${JSON.stringify(url)} is not a URL`, 'url');
    if (parsed.hasPassword || (parsed.username !== '' && parsed.protocol !== 'ssh:')) {
      throw refuse(file, `${label}: url holds a user name or password; put them in username and password`, 'url');
    }
    const certData = fields.get('tlsClientCertData') || undefined;
    const certKey = fields.get('tlsClientCertKey') || undefined;
    if ((certData === undefined) !== (certKey === undefined)) {
      throw refuse(file, `${label}: tlsClientCertData and tlsClientCertKey go together`, certData === undefined ? 'tlsClientCertData' : 'tlsClientCertKey');
    }
    const username = fields.get('username') || undefined;
    const password = fields.get('password') || undefined;
    if (password !== undefined && username === undefined && type !== 'git') throw refuse(file, `${label}: password without username`, 'username');
    out.push({
      file,
      name,
      secretType,
      url,
      type,
      project: fields.get('project') || undefined,
      username,
      password,
      tlsClientCertData: certData,
      tlsClientCertKey: certKey,
      insecure: flags.insecure === true,
      enableOCI: flags.enableOCI === true,
      forceHttpBasicAuth: flags.forceHttpBasicAuth === true,
      insecureOCIForceHttp: flags.insecureOCIForceHttp === true,
      unsupported: UNSUPPORTED.filter((f) => (fields.get(f) ?? '') !== '' && !(BOOLEANS.includes(f) && flags[f] === false)),
    });
  }
  return out;
}

/**
 * The credentials named by GITOPS_K8S_REPO_CREDENTIALS: a file, or a folder
 * whose `*.yaml`, `*.yml` and `*.json` files are read (hidden ones, such as
 * the `..data` of a mounted Secret, are not). A path inside one of
 * `forbiddenDirs` (the platform repo) is refused: a pull request must never
 * be able to change where a password goes.
 */
export function loadRepoCredentials(env: NodeJS.ProcessEnv, forbiddenDirs: readonly string[] = []): RepoCredentials {
  const source = env[REPO_CREDENTIALS_VARIABLE] || undefined;
  if (source === undefined) return { entries: [] };
  let real: string;
  try {
    real = realpathSync(source);
  } catch (error) {
    throw createError(
      'GK_REPO_CREDENTIALS',
      `${REPO_CREDENTIALS_VARIABLE} names ${source}, which cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      {},
      { cause: error },
    );
  }
  for (const dir of forbiddenDirs) {
    let realDir: string;
    try {
      realDir = realpathSync(dir);
    } catch {
      continue;
    }
    if (isPathInside(realDir, real)) {
      throw createError(
        'GK_REPO_CREDENTIALS',
        `${REPO_CREDENTIALS_VARIABLE} names ${source}, which is inside the platform repo ${dir}: credentials are never read from the platform repo`,
      );
    }
  }
  const files = statSync(real).isDirectory()
    ? readdirSync(real)
        .filter((f) => !f.startsWith('.') && /\.(ya?ml|json)$/i.test(f))
        .sort()
        .map((f) => path.join(source, f))
        .filter((f) => statSync(f).isFile())
    : [source];
  const entries: RepoCredential[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw createError(
        'GK_REPO_CREDENTIALS',
        `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        { file },
        { cause: error },
      );
    }
    entries.push(...parseRepoCredentials(file, text));
  }
  return { source, entries };
}

function kindAccepts(c: RepoCredential, kind: RepoKind): boolean {
  if (kind === 'git') return c.type === 'git';
  if (kind === 'helm') return c.type === 'helm' && !c.enableOCI;
  return c.type === 'oci' || (c.type === 'helm' && c.enableOCI);
}

function underPrefix(url: MatchURL, prefix: MatchURL): boolean {
  if (url.protocol !== prefix.protocol || url.host !== prefix.host || url.username !== prefix.username) return false;
  return prefix.path === '' || url.path === prefix.path || url.path.startsWith(`${prefix.path}/`);
}

/**
 * The credential for fetching `url` (the URL actually contacted, after
 * --repo-map), or undefined. A `repository` Secret for the exact URL wins
 * (one of `project` first, then one without a project; Secrets of another
 * project are not used), else the longest `repo-creds` prefix. A URL that
 * carries its own user name or password gets none. A matching Secret with
 * an authentication gitops-k8s cannot use is an error, not a silent
 * anonymous fetch.
 */
export function findRepoCredential(credentials: RepoCredentials, url: string, kind: RepoKind, project?: string): RepoCredential | undefined {
  const target = matchURL(url, kind === 'oci');
  if (!target || target.hasPassword || (target.username !== '' && target.protocol !== 'ssh:')) return undefined;
  const candidates = credentials.entries.filter((c) => kindAccepts(c, kind));
  const exact = candidates.filter((c) => {
    if (c.secretType !== 'repository') return false;
    const m = matchURL(c.url, kind === 'oci' || c.type === 'oci' || c.enableOCI)!;
    return m.protocol === target.protocol && m.host === target.host && m.username === target.username && m.path === target.path;
  });
  let found = exact.find((c) => project !== undefined && c.project === project) ?? exact.find((c) => c.project === undefined);
  if (!found) {
    let best = -1;
    for (const c of candidates) {
      if (c.secretType !== 'repo-creds') continue;
      const m = matchURL(c.url, kind === 'oci' || c.type === 'oci' || c.enableOCI)!;
      if (underPrefix(target, m) && m.path.length > best) {
        best = m.path.length;
        found = c;
      }
    }
  }
  if (found && found.unsupported.length > 0) {
    throw createError(
      'GK_REPO_CREDENTIALS',
      `Secret ${found.name} for ${found.url} uses ${found.unsupported.join(', ')}, which gitops-k8s cannot use to fetch; ` +
        'give it username and password (or a client certificate) instead',
      {
        file: found.file,
        field: found.unsupported[0]!,
      },
    );
  }
  return found;
}

/** Says where credentials for `url` would come from, for an error about refused access. */
export function credentialHint(credentials: RepoCredentials, used: RepoCredential | undefined, url: string): string {
  if (used) return `the credentials of Secret ${used.name} (${used.file}) were refused`;
  if (credentials.source === undefined)
    return `no credentials were sent: set ${REPO_CREDENTIALS_VARIABLE} to a file of Argo CD repository Secrets, one of which names ${url}`;
  return `no credentials were sent: no repository Secret in ${credentials.source} names ${url}`;
}
