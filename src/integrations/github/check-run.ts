import type { Octokit } from 'octokit';

/** A finished check run on a commit (GitHub caps `output.summary` and `output.text` at 65,535 characters). */
export interface CheckRunReport {
  owner: string;
  repo: string;
  headSha: string;
  name: string;
  conclusion: 'success' | 'failure' | 'neutral';
  title: string;
  summary: string;
  text?: string;
  detailsUrl?: string;
}

const MAX_OUTPUT = 65_535;

function cap(text: string): string {
  return text.length > MAX_OUTPUT ? `${text.slice(0, MAX_OUTPUT - 40)}\n\n_(cut: too long for a check run)_` : text;
}

/** Creates a completed check run. Only GitHub Apps may write check runs; tokens get a 403. */
export async function createCheckRun(octokit: Octokit, report: CheckRunReport): Promise<number> {
  const { data } = await octokit.rest.checks.create({
    owner: report.owner,
    repo: report.repo,
    name: report.name,
    head_sha: report.headSha,
    status: 'completed',
    conclusion: report.conclusion,
    completed_at: new Date().toISOString(),
    ...(report.detailsUrl ? { details_url: report.detailsUrl } : {}),
    output: { title: report.title, summary: cap(report.summary), ...(report.text ? { text: cap(report.text) } : {}) },
  });
  return data.id;
}
