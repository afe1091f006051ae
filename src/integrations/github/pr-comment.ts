import type { Octokit } from 'octokit';
import type { PostedNote } from '../previews/forge.js';
import { upsertMarkedNote } from '../previews/upsert-marked-note.js';

/** Where a comment goes: a pull request is an issue for the comments API. */
export interface IssueRef {
  owner: string;
  repo: string;
  number: number;
}

/** Posts `body` as the one comment holding `marker` on a pull request (see upsertMarkedNote); bot comments are tried first. */
export async function upsertIssueComment(octokit: Octokit, ref: IssueRef, marker: string, body: string): Promise<PostedNote> {
  return upsertMarkedNote(
    {
      noun: 'comment',
      list: async () => {
        const comments = await octokit.paginate(octokit.rest.issues.listComments, {
          owner: ref.owner,
          repo: ref.repo,
          issue_number: ref.number,
          per_page: 100,
        });
        // Prefer bot comments: a GitHub App posts as `<slug>[bot]`.
        return comments.sort((a, b) => Number(b.user?.type === 'Bot') - Number(a.user?.type === 'Bot'));
      },
      unchanged: (comment) => ({ action: 'updated', id: comment.id, url: comment.html_url }),
      update: async (comment, text) => {
        const { data } = await octokit.rest.issues.updateComment({ owner: ref.owner, repo: ref.repo, comment_id: comment.id, body: text });
        return { action: 'updated', id: data.id, url: data.html_url };
      },
      create: async (text) => {
        const { data } = await octokit.rest.issues.createComment({ owner: ref.owner, repo: ref.repo, issue_number: ref.number, body: text });
        return { action: 'created', id: data.id, url: data.html_url };
      },
    },
    marker,
    body,
  );
}
