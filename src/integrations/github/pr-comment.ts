import type { Octokit } from 'octokit';

/** Where a comment goes: a pull request is an issue for the comments API. */
export interface IssueRef {
  owner: string;
  repo: string;
  number: number;
}

/** What {@link upsertIssueComment} did. */
export interface UpsertResult {
  action: 'created' | 'updated';
  id: number;
  url?: string;
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Posts `body` as the one comment of this tool on a pull request: the comment
 * holding `marker` (an HTML comment, invisible on GitHub) is updated in place,
 * otherwise a new one is created. Anyone can paste the marker into a comment
 * of their own; GitHub refuses to let us edit those (403/404), so they are
 * passed over rather than trusted.
 */
export async function upsertIssueComment(octokit: Octokit, ref: IssueRef, marker: string, body: string): Promise<UpsertResult> {
  if (!body.includes(marker)) throw new TypeError('the comment body must hold its marker, or it cannot be found again');
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner: ref.owner,
    repo: ref.repo,
    issue_number: ref.number,
    per_page: 100,
  });
  const candidates = comments.filter((c) => typeof c.body === 'string' && c.body.includes(marker));
  // Prefer bot comments: a GitHub App posts as `<slug>[bot]`.
  candidates.sort((a, b) => Number(b.user?.type === 'Bot') - Number(a.user?.type === 'Bot'));
  for (const comment of candidates) {
    if (comment.body === body) return { action: 'updated', id: comment.id, url: comment.html_url };
    try {
      const { data } = await octokit.rest.issues.updateComment({ owner: ref.owner, repo: ref.repo, comment_id: comment.id, body });
      return { action: 'updated', id: data.id, url: data.html_url };
    } catch (error) {
      const status = statusOf(error);
      if (status !== 403 && status !== 404) throw error;
    }
  }
  const { data } = await octokit.rest.issues.createComment({ owner: ref.owner, repo: ref.repo, issue_number: ref.number, body });
  return { action: 'created', id: data.id, url: data.html_url };
}
