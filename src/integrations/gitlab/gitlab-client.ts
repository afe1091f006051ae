import type { Dispatcher } from 'undici';
import { createError } from '../../core/errors.js';
import { redact } from '../../sources/redact.js';

/** How gitops-k8s talks to GitLab, from the environment. */
export interface GitlabSettings {
  /** REST API root (`GITLAB_API_URL`): `https://gitlab.com/api/v4`, or `https://HOST/api/v4` for a self-managed GitLab. */
  baseUrl: string;
  /** A personal, project or group access token with the `api` scope (`GITLAB_TOKEN`). */
  token: string;
}

/** Reads GitLab settings; undefined without GITLAB_TOKEN (merge-request previews are then off). */
export function readGitlabSettings(env: NodeJS.ProcessEnv): GitlabSettings | undefined {
  if (!env.GITLAB_TOKEN) return undefined;
  return { baseUrl: (env.GITLAB_API_URL || 'https://gitlab.com/api/v4').replace(/\/+$/, ''), token: env.GITLAB_TOKEN };
}

/** A merge request note as the notes API returns it, narrowed to what is read. */
export interface GitlabNote {
  id: number;
  body: string;
  system: boolean;
  author?: { username?: string };
}

/** A GitLab REST failure: the status is kept so that callers can pass over a 403 or 404. */
export interface GitlabFailure extends Error {
  status?: number;
}

/** At most this many pages of 100 notes are read: a merge request with more is not worth an unbounded walk. */
const MAX_PAGES = 50;
/** Error bodies are read only this far, so a misbehaving server cannot fill memory. */
const MAX_ERROR_BODY = 4096;

/**
 * The few calls of GitLab's REST API v4 that previews make, over undici: the
 * token goes in `PRIVATE-TOKEN` and never into a message; GETs and PUTs are
 * retried on 429 and 5xx (honouring Retry-After), POSTs are not (a retried
 * create could post the note twice).
 */
export class GitlabClient {
  readonly #settings: GitlabSettings;
  #dispatcher: Dispatcher | undefined;

  constructor(settings: GitlabSettings) {
    this.#settings = settings;
  }

  async #call(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
  ): Promise<{ data: unknown; headers: Record<string, string | string[] | undefined> }> {
    // undici loads with the first merge request, not with every server.
    const undici = await import('undici');
    this.#dispatcher ??= new undici.RetryAgent(new undici.Agent(), { maxRetries: 3, minTimeout: 500, maxTimeout: 10_000 });
    const res = await undici
      .request(`${this.#settings.baseUrl}${path}`, {
        method,
        dispatcher: this.#dispatcher,
        headers: {
          'private-token': this.#settings.token,
          accept: 'application/json',
          'user-agent': 'gitops-k8s',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headersTimeout: 15_000,
        bodyTimeout: 15_000,
      })
      .catch((error: unknown) => {
        throw createError('GK_GITLAB', `GitLab ${method} ${path.split('?')[0]} failed: ${redact(String((error as Error).message))}`, {}, { cause: error });
      });
    if (res.statusCode >= 400) {
      let text = '';
      for await (const chunk of res.body) {
        if (text.length < MAX_ERROR_BODY) text += String(chunk);
      }
      const error = createError(
        'GK_GITLAB',
        `GitLab answered ${res.statusCode} to ${method} ${path.split('?')[0]}: ${redact(text.slice(0, 300))}`,
      ) as GitlabFailure;
      error.status = res.statusCode;
      throw error;
    }
    return { data: await res.body.json(), headers: res.headers };
  }

  /** The merge request (for `diff_refs`: the base its diff is computed against). */
  async getMergeRequest(projectId: number, iid: number): Promise<{ diff_refs?: { base_sha?: string; head_sha?: string } | null; web_url?: string }> {
    return (await this.#call('GET', `/projects/${projectId}/merge_requests/${iid}`)).data as never;
  }

  /** Every note of a merge request, oldest first, following `X-Next-Page`. */
  async listNotes(projectId: number, iid: number): Promise<GitlabNote[]> {
    const notes: GitlabNote[] = [];
    let page = '1';
    for (let n = 0; n < MAX_PAGES && page; n++) {
      const { data, headers } = await this.#call(
        'GET',
        `/projects/${projectId}/merge_requests/${iid}/notes?sort=asc&order_by=created_at&per_page=100&page=${encodeURIComponent(page)}`,
      );
      if (!Array.isArray(data)) throw createError('GK_GITLAB', 'GitLab listed the notes of a merge request as something other than an array');
      notes.push(...(data as GitlabNote[]));
      const next = headers['x-next-page'];
      page = (Array.isArray(next) ? next[0] : next) ?? '';
    }
    return notes;
  }

  async createNote(projectId: number, iid: number, body: string): Promise<GitlabNote> {
    return (await this.#call('POST', `/projects/${projectId}/merge_requests/${iid}/notes`, { body })).data as GitlabNote;
  }

  async updateNote(projectId: number, iid: number, noteId: number, body: string): Promise<GitlabNote> {
    return (await this.#call('PUT', `/projects/${projectId}/merge_requests/${iid}/notes/${noteId}`, { body })).data as GitlabNote;
  }
}
