import { createCheckRun } from '../github/check-run.js';
import type { GithubClientFactory } from '../github/github-client.js';
import { upsertIssueComment } from '../github/pr-comment.js';
import { CHECK_RUN_NAME, type PullRequestEvent } from '../github/pull-request-preview.js';
import type { PreviewForge } from './forge.js';

/**
 * The GitHub adapter: the note is an issue comment of the pull request, and
 * with `checkRuns` the outcome is also a check run on the head commit (only
 * GitHub Apps may write those).
 */
export function createGithubForge(github: GithubClientFactory, event: PullRequestEvent, options: { checkRuns?: boolean } = {}): PreviewForge {
  // One client per preview: a GitHub App's installation token is fetched once.
  let made: ReturnType<GithubClientFactory> | undefined;
  const client = () => (made ??= github(event.installationId));
  return {
    noun: 'pull request',
    upsertNote: async (marker, body) => upsertIssueComment(await client(), { owner: event.owner, repo: event.repo, number: event.number }, marker, body),
    ...(options.checkRuns
      ? {
          report: async (report) =>
            createCheckRun(await client(), {
              owner: event.owner,
              repo: event.repo,
              headSha: report.headSha,
              name: CHECK_RUN_NAME,
              conclusion: report.headBroken ? 'failure' : 'success',
              title: report.headBroken
                ? 'The platform repo does not render'
                : report.changed === 0
                  ? 'No change to generated objects'
                  : `${report.changed} generated object${report.changed === 1 ? '' : 's'} change`,
              summary: report.summary,
              ...(report.noteUrl ? { detailsUrl: report.noteUrl } : {}),
            }),
        }
      : {}),
  };
}
