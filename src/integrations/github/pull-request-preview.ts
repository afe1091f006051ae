import { diffPlatforms, type PlatformDiff } from '../../core/diff/diff-platforms.js';
import { formatDiff } from '../../core/diff/format-diff.js';
import { fenceCode } from '../../core/diff/fence-code.js';
import { formatProblem, isGitopsError } from '../../core/errors.js';
import type { ManifestDiff } from '../../manifests/diff-manifests.js';
import { formatManifestDiffMarkdown, truncateComment } from '../../manifests/format-manifest-diff.js';
import type { RenderedPlatform } from '../../core/render/render-platform.js';
import type { PostedNote, PreviewForge } from '../previews/forge.js';
import { redact, registerSecret } from '../../sources/redact.js';
import { mapOf as obj, nonEmptyStringOf as str } from '../../core/json-fields.js';

/** The hidden line that finds our comment again on the next push. */
export const PREVIEW_MARKER = '<!-- gitops-k8s:preview -->';

/** The marker for a platform repo in a sub-folder, so previews of two folders of one repository keep a comment each. */
export function previewMarker(path = '.'): string {
  return path === '.' || path === '' ? PREVIEW_MARKER : `<!-- gitops-k8s:preview path=${encodeURIComponent(path)} -->`;
}
/** GitHub refuses comment bodies over 65,536 characters. */
const MAX_COMMENT = 65_000;
/** The check run the GitHub adapter reports (src/integrations/previews/github-forge.ts). */
export const CHECK_RUN_NAME = 'gitops-k8s preview';

/** The parts of a `pull_request` webhook a preview needs. */
export interface PullRequestEvent {
  action: string;
  owner: string;
  repo: string;
  number: number;
  baseSha: string;
  /** The base branch, which a preview follows while it waits; absent in a payload without it. */
  baseRef?: string;
  headSha: string;
  /** The base repository's URLs as GitHub gives them (clone, html, ssh), for the allowlist. */
  repoURLs: string[];
  installationId?: number;
}

/** The parts of a `push` webhook a cache refresh needs. */
export interface PushEvent {
  ref: string;
  after: string;
  repoURLs: string[];
}

function repoURLsOf(repository: Record<string, unknown>): string[] {
  return [repository.clone_url, repository.html_url, repository.ssh_url, repository.git_url, repository.url]
    .map(str)
    .filter((u): u is string => u !== undefined);
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Reads a `pull_request` payload; undefined when it lacks what a preview needs. */
export function parsePullRequestEvent(payload: unknown): PullRequestEvent | undefined {
  const p = obj(payload);
  const pr = obj(p.pull_request);
  const repository = obj(p.repository);
  const owner = str(obj(repository.owner).login);
  const repo = str(repository.name);
  const number = typeof p.number === 'number' ? p.number : pr.number;
  const baseSha = str(obj(pr.base).sha);
  const headSha = str(obj(pr.head).sha);
  const action = str(p.action);
  if (!owner || !repo || typeof number !== 'number' || !baseSha || !headSha || !action) return undefined;
  if (!SHA.test(baseSha) || !SHA.test(headSha)) return undefined;
  const installationId = obj(p.installation).id;
  const baseRef = str(obj(pr.base).ref);
  return {
    action,
    owner,
    repo,
    number,
    baseSha,
    ...(baseRef ? { baseRef } : {}),
    headSha,
    repoURLs: repoURLsOf(repository),
    ...(typeof installationId === 'number' ? { installationId } : {}),
  };
}

/** Reads a `push` payload; undefined when it names no repository. */
export function parsePushEvent(payload: unknown): PushEvent | undefined {
  const p = obj(payload);
  const repoURLs = repoURLsOf(obj(p.repository));
  if (repoURLs.length === 0) return undefined;
  return { ref: str(p.ref) ?? '', after: str(p.after) ?? '', repoURLs };
}

/** What a revision renders to, or why it does not. */
export type RevisionResult = { ok: true; platform: Pick<RenderedPlatform, 'projects' | 'apps'> } | { ok: false; error: unknown };

/** An error as lines users can act on: `file:line: field: problem` for ours, nothing internal for the rest. */
function describeFailure(error: unknown): string {
  if (isGitopsError(error)) return error.problems.map(formatProblem).join('\n');
  return 'internal error while rendering this revision (the server log has the details)';
}

const short = (sha: string): string => sha.slice(0, 7);

/** What the changed Applications deploy (GITOPS_K8S_PREVIEW_MANIFESTS), or why it could not be rendered. */
export type ManifestResult = { ok: true; diff: ManifestDiff } | { ok: false; error: unknown };

/** The manifest part of a comment, in at most `budget` characters (Applications dropped whole from the end). */
function manifestSection(manifests: ManifestResult, budget: number): string {
  if (manifests.ok) return formatManifestDiffMarkdown(manifests.diff, { maxLength: budget }).trimEnd();
  return [':warning: What the changed Applications deploy could not be rendered:', '', fenceCode('text', describeFailure(manifests.error))].join('\n');
}

/** The comment for a pull (or merge) request: the diff, or the problems that stop the head from rendering. */
export function buildPreviewComment(
  event: Pick<PullRequestEvent, 'baseSha' | 'headSha'>,
  base: RevisionResult,
  head: RevisionResult,
  marker = PREVIEW_MARKER,
  manifests?: ManifestResult,
  noun = 'pull request',
): { body: string; diff?: PlatformDiff; headBroken: boolean } {
  const lines = [marker, '### gitops-k8s preview', ''];
  const footer = `<sub>base <code>${short(event.baseSha)}</code> · head <code>${short(event.headSha)}</code> · updated on every push</sub>`;
  if (!head.ok) {
    lines.push(
      `:x: **This ${noun} breaks the platform repo**: its head (<code>${short(event.headSha)}</code>) does not render, ` +
        'so Argo CD would get an error instead of Applications. Fix these problems:',
      '',
      fenceCode('text', describeFailure(head.error)),
      '',
      footer,
    );
    return { body: capComment(lines.join('\n')), headBroken: true };
  }
  const empty = { projects: [], apps: [] };
  const diff = diffPlatforms(base.ok ? base.platform : empty, head.platform);
  if (!base.ok) {
    lines.push(
      `:warning: The base revision (<code>${short(event.baseSha)}</code>) does not render, so everything the head generates is shown as added. Its problems:`,
      '',
      fenceCode('text', describeFailure(base.error)),
      '',
    );
  }
  const budget = MAX_COMMENT - lines.join('\n').length - footer.length - 10;
  // With manifests, the Application diff may take half the room; the resources get what it leaves.
  const applications = formatDiff(diff, 'markdown', {
    base: short(event.baseSha),
    head: short(event.headSha),
    maxLength: manifests ? Math.floor(budget / 2) : budget,
  }).trimEnd();
  lines.push(applications, '');
  if (manifests) lines.push(manifestSection(manifests, budget - applications.length - 4), '');
  lines.push(footer);
  return { body: capComment(lines.join('\n')), diff, headBroken: false };
}

function capComment(body: string): string {
  return truncateComment(body, MAX_COMMENT);
}

/** What a preview needs from the server. */
export interface PreviewDeps {
  /** Renders the platform repo of the event's repository at a commit. */
  render: (commit: string) => Promise<Pick<RenderedPlatform, 'projects' | 'apps'>>;
  /** The pull or merge request the note goes to (see src/previews/). */
  forge: PreviewForge;
  /** The hidden marker of the comment (see {@link previewMarker}). Default {@link PREVIEW_MARKER}. */
  marker?: string;
  /** Values that must never reach the forge (tokens, the webhook secret). */
  secrets?: readonly (string | undefined)[];
  /** Renders what the changed Applications deploy at base and head; the comment then shows it. */
  manifests?: (diff: PlatformDiff) => Promise<ManifestDiff>;
}

/** What {@link postPullRequestPreview} did. */
export interface PreviewOutcome extends PostedNote {
  headBroken: boolean;
  checkRunId?: number;
}

async function attempt(render: PreviewDeps['render'], commit: string): Promise<RevisionResult> {
  try {
    return { ok: true, platform: await render(commit) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Renders base and head of a pull or merge request, and posts (or updates) the one preview note. */
export async function postPullRequestPreview(event: Pick<PullRequestEvent, 'baseSha' | 'headSha'>, deps: PreviewDeps): Promise<PreviewOutcome> {
  const [base, head] = await Promise.all([attempt(deps.render, event.baseSha), attempt(deps.render, event.headSha)]);
  const marker = deps.marker ?? PREVIEW_MARKER;
  let manifests: ManifestResult | undefined;
  if (deps.manifests && base.ok && head.ok) {
    const changes = diffPlatforms(base.platform, head.platform);
    manifests = await deps.manifests(changes).then(
      (diff): ManifestResult => ({ ok: true, diff }),
      (error: unknown): ManifestResult => ({ ok: false, error }),
    );
  }
  const { body, headBroken, diff } = buildPreviewComment(event, base, head, marker, manifests, deps.forge.noun);
  // A last line of defence: messages are built without secrets, and any that slipped in are scrubbed.
  for (const secret of deps.secrets ?? []) registerSecret(secret);
  const safe = redact(body);
  const result = await deps.forge.upsertNote(marker, safe);
  const checkRunId = await deps.forge.report?.({
    headSha: event.headSha,
    headBroken,
    changed: diff?.objects.length ?? 0,
    summary: safe.replace(marker, '').trim(),
    ...(result.url ? { noteUrl: result.url } : {}),
  });
  return { ...result, headBroken, ...(checkRunId !== undefined ? { checkRunId } : {}) };
}
