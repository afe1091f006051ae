import { readFileSync } from 'node:fs';
import type { Agent, Dispatcher } from 'undici';
import { createError } from '../../core/errors.js';
import { MANAGED_BY, MANAGER } from '../../core/argo-labels.js';
import { redact, registerSecret } from '../../sources/redact.js';
import { mapOf as obj, stringOf as str } from '../../core/json-fields.js';

/** Where the Argo CD API is and how to call it. */
export interface ArgoSettings {
  /** `https://argocd.example.com` (from `ARGOCD_SERVER`; a bare host gets `https://`). */
  server: string;
  /** A bearer token (`ARGOCD_AUTH_TOKEN`, or a file named by `ARGOCD_AUTH_TOKEN_FILE`). */
  token: string;
  /** Skip TLS verification (`ARGOCD_INSECURE=true`), for self-signed Argo CD servers. */
  insecure: boolean;
}

/**
 * Reads Argo CD settings from the environment (the names the argocd CLI
 * uses). Undefined when `ARGOCD_SERVER` is unset: the status then shows
 * only what would be deployed where.
 */
export function readArgoSettings(env: NodeJS.ProcessEnv): ArgoSettings | undefined {
  const raw = env.ARGOCD_SERVER?.trim();
  if (!raw) return undefined;
  let token = env.ARGOCD_AUTH_TOKEN?.trim() ?? '';
  if (!token && env.ARGOCD_AUTH_TOKEN_FILE) {
    try {
      token = readFileSync(env.ARGOCD_AUTH_TOKEN_FILE, 'utf8').trim();
    } catch (error) {
      throw createError('GK_CONFIG', `ARGOCD_AUTH_TOKEN_FILE ${env.ARGOCD_AUTH_TOKEN_FILE} cannot be read`, {}, { cause: error });
    }
  }
  if (!token) throw createError('GK_CONFIG', 'ARGOCD_SERVER is set but ARGOCD_AUTH_TOKEN (or ARGOCD_AUTH_TOKEN_FILE) is not');
  registerSecret(token);
  const withScheme = /^https?:\/\//i.test(raw) ? raw : `https://${raw}`;
  let server: string;
  try {
    const url = new URL(withScheme);
    if (url.username || url.password) throw new Error('credentials in URL');
    server = url.toString().replace(/\/+$/, '');
  } catch {
    throw createError('GK_CONFIG', `ARGOCD_SERVER ${JSON.stringify(redact(raw))} is not a URL or host name`);
  }
  return { server, token, insecure: /^(1|true|yes)$/i.test(env.ARGOCD_INSECURE ?? '') };
}

/** What the status needs of one Argo CD Application. */
export interface ArgoAppStatus {
  name: string;
  namespace: string;
  project?: string;
  labels: Record<string, string>;
  /** `Synced`, `OutOfSync` or `Unknown` (empty when Argo CD has not compared yet). */
  sync: string;
  /** The commit Argo CD last compared against. */
  revision?: string;
  /** `Healthy`, `Progressing`, `Degraded`, `Suspended`, `Missing` or `Unknown`. */
  health: string;
  healthMessage?: string;
  /** Conditions such as `ComparisonError` or `SyncError`. */
  conditions: { type: string; message: string }[];
  /** `Running`, `Succeeded`, `Failed`, `Error`, `Terminating` of the last operation. */
  operationPhase?: string;
  operationMessage?: string;
}

/** Options of {@link listArgoApplications}. */
export interface ListOptions {
  /** An undici dispatcher (tests, proxies); default the global one, or a TLS-lax agent when `insecure`. */
  dispatcher?: Dispatcher;
  /** A Kubernetes label selector. Default: Applications managed by gitops-k8s. */
  selector?: string;
  /** Default 10 s: the status page must not hang on a slow Argo CD. */
  timeoutMs?: number;
  /** Largest reply read. Default 64 MiB. */
  maxBytes?: number;
}

// Only what the status shows: a full Application carries every managed
// resource and its history, megabytes for a few hundred apps.
const FIELDS = [
  'items.metadata.name',
  'items.metadata.namespace',
  'items.metadata.labels',
  'items.spec.project',
  'items.status.sync.status',
  'items.status.sync.revision',
  'items.status.health',
  'items.status.conditions',
  'items.status.operationState.phase',
  'items.status.operationState.message',
].join(',');

/** Maps one item of Argo CD's `ApplicationList` (v1alpha1) to what the status needs. */
function toArgoAppStatus(item: unknown): ArgoAppStatus | undefined {
  const metadata = obj(obj(item).metadata);
  const name = str(metadata.name);
  if (!name) return undefined;
  const status = obj(obj(item).status);
  const labels = Object.fromEntries(Object.entries(obj(metadata.labels)).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  const conditions = (Array.isArray(status.conditions) ? status.conditions : [])
    .map((c) => ({ type: str(obj(c).type) ?? '', message: str(obj(c).message) ?? '' }))
    .filter((c) => c.type !== '');
  const op = obj(status.operationState);
  return {
    name,
    namespace: str(metadata.namespace) ?? '',
    project: str(obj(obj(item).spec).project),
    labels,
    sync: str(obj(status.sync).status) ?? '',
    revision: str(obj(status.sync).revision),
    health: str(obj(status.health).status) ?? '',
    healthMessage: str(obj(status.health).message),
    conditions,
    operationPhase: str(op.phase),
    operationMessage: str(op.message),
  };
}

const insecureAgents = new WeakMap<ArgoSettings, Agent>();

async function dispatcherFor(settings: ArgoSettings, given?: Dispatcher): Promise<Dispatcher | undefined> {
  if (given) return given;
  if (!settings.insecure) return undefined;
  let agent = insecureAgents.get(settings);
  if (!agent) {
    const { Agent } = await import('undici');
    insecureAgents.set(settings, (agent = new Agent({ connect: { rejectUnauthorized: false } })));
  }
  return agent;
}

/**
 * Lists Applications through Argo CD's REST API (`GET /api/v1/applications`,
 * bearer token), narrowed to the fields the status needs. Any failure is a
 * GK_ARGOCD (GK_TIMEOUT) error whose message never holds the token.
 */
export async function listArgoApplications(settings: ArgoSettings, options: ListOptions = {}): Promise<ArgoAppStatus[]> {
  const url = new URL(`${settings.server}/api/v1/applications`);
  url.searchParams.set('selector', options.selector ?? `${MANAGED_BY}=${MANAGER}`);
  url.searchParams.set('fields', FIELDS);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  // undici loads with the first status call, not with every server.
  const { request } = await import('undici');
  const dispatcher = await dispatcherFor(settings, options.dispatcher);
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      method: 'GET',
      headers: { authorization: `Bearer ${settings.token}`, accept: 'application/json' },
      dispatcher,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const timedOut = (error as { name?: string }).name === 'TimeoutError' || /timeout/i.test(String((error as Error).message));
    throw createError(
      timedOut ? 'GK_TIMEOUT' : 'GK_ARGOCD',
      `Argo CD API at ${settings.server} ` +
        (timedOut ? `did not answer within ${timeoutMs} ms` : `cannot be reached: ${redact(String((error as Error).message))}`),
      {},
      { cause: error },
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      res.body.destroy();
      throw createError('GK_ARGOCD', `Argo CD's application list is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (res.statusCode === 401 || res.statusCode === 403) {
    throw createError('GK_ARGOCD', `Argo CD refused the token (HTTP ${res.statusCode}); check ARGOCD_AUTH_TOKEN and that its account may get applications`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw createError('GK_ARGOCD', `Argo CD answered HTTP ${res.statusCode} with a body that is not JSON`);
  }
  if (res.statusCode < 200 || res.statusCode > 299) {
    const message = str(obj(body).message) ?? str(obj(body).error) ?? '';
    throw createError('GK_ARGOCD', `Argo CD answered HTTP ${res.statusCode}${message ? `: ${redact(message).slice(0, 500)}` : ''}`);
  }
  // grpc-gateway writes an empty list as `null` or leaves it out.
  const items = obj(body).items;
  return (Array.isArray(items) ? items : []).map(toArgoAppStatus).filter((a): a is ArgoAppStatus => a !== undefined);
}

/** The Argo CD UI page of an Application. */
export function argoAppURL(server: string, namespace: string, name: string): string {
  return `${server}/applications/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}
