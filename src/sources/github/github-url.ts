/** Splits a GitHub repo URL into owner and repo (kept apart from the GitHub source, so that naming one does not load octokit). */
export function parseGitHubURL(url: string): { host: string; owner: string; repo: string } | undefined {
  const m = /^https:\/\/(?:[^@/]+@)?([^/]+)\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(url);
  return m ? { host: m[1]!.toLowerCase(), owner: m[2]!, repo: m[3]! } : undefined;
}
