import { mapOf as obj, nonEmptyStringOf as str } from '../../core/json-fields.js';

/** The parts of a GitLab `Merge Request Hook` a preview needs. */
export interface MergeRequestEvent {
  /** open, update, reopen, close, merge, approved, ... */
  action: string;
  projectId: number;
  /** `group/project`, for messages and queue keys. */
  project: string;
  iid: number;
  /** The head commit (`object_attributes.last_commit.id`). */
  headSha: string;
  /** The branch the merge request goes into. */
  targetBranch: string;
  /** The merge request's page, for the note's link. */
  webUrl?: string;
  /** The target project's URLs as GitLab gives them (http, ssh, web), for the allowlist. */
  repoURLs: string[];
}

/** The parts of a `Push Hook` or `Tag Push Hook` a cache refresh needs. */
export interface GitlabPushEvent {
  ref: string;
  after: string;
  repoURLs: string[];
}

function repoURLsOf(...projects: Record<string, unknown>[]): string[] {
  const urls = projects.flatMap((p) => [p.git_http_url, p.git_ssh_url, p.http_url, p.ssh_url, p.web_url, p.url, p.homepage].map(str));
  return [...new Set(urls.filter((u): u is string => u !== undefined))];
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Reads a `Merge Request Hook` payload; undefined when it lacks what a preview needs. */
export function parseMergeRequestEvent(payload: unknown): MergeRequestEvent | undefined {
  const p = obj(payload);
  const attributes = obj(p.object_attributes);
  const project = obj(p.project);
  const projectId = typeof project.id === 'number' ? project.id : attributes.target_project_id;
  const iid = attributes.iid;
  const headSha = str(obj(attributes.last_commit).id);
  const action = str(attributes.action);
  const targetBranch = str(attributes.target_branch);
  const name = str(project.path_with_namespace);
  if (typeof projectId !== 'number' || typeof iid !== 'number' || !headSha || !SHA.test(headSha) || !action || !targetBranch || !name) return undefined;
  const webUrl = str(attributes.url);
  return { action, projectId, project: name, iid, headSha, targetBranch, ...(webUrl ? { webUrl } : {}), repoURLs: repoURLsOf(project, obj(attributes.target)) };
}

/** Reads a `Push Hook` or `Tag Push Hook` payload; undefined when it names no project. */
export function parseGitlabPushEvent(payload: unknown): GitlabPushEvent | undefined {
  const p = obj(payload);
  const repoURLs = repoURLsOf(obj(p.project), obj(p.repository));
  if (repoURLs.length === 0) return undefined;
  return { ref: str(p.ref) ?? '', after: str(p.after) ?? str(p.checkout_sha) ?? '', repoURLs };
}
