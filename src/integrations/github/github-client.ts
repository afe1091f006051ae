import { readFileSync } from 'node:fs';
import type { Octokit } from 'octokit';
import { createError } from '../../core/errors.js';

/** How gitops-k8s talks to GitHub, from the environment. */
export interface GithubSettings {
  /** REST API root: `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server. */
  baseUrl: string;
  /** A token (`GITHUB_TOKEN`): a fine-grained or classic PAT, or an Actions token. */
  token?: string;
  /** A GitHub App (`GITHUB_APP_ID` + `GITHUB_APP_PRIVATE_KEY` or `GITHUB_APP_PRIVATE_KEY_FILE`). */
  app?: { appId: string; privateKey: string };
  /** Also report each preview as a check run (`GITOPS_K8S_CHECK_RUNS=true`; needs a GitHub App). */
  checkRuns: boolean;
}

/** Reads GitHub settings; undefined when no credentials are configured (previews are then off). */
export function readGithubSettings(env: NodeJS.ProcessEnv): GithubSettings | undefined {
  const baseUrl = (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '');
  const token = env.GITHUB_TOKEN || undefined;
  let app: GithubSettings['app'];
  if (env.GITHUB_APP_ID) {
    let privateKey = env.GITHUB_APP_PRIVATE_KEY;
    if (!privateKey && env.GITHUB_APP_PRIVATE_KEY_FILE) {
      try {
        privateKey = readFileSync(env.GITHUB_APP_PRIVATE_KEY_FILE, 'utf8');
      } catch (error) {
        throw createError('GK_CONFIG', `GITHUB_APP_PRIVATE_KEY_FILE ${env.GITHUB_APP_PRIVATE_KEY_FILE} cannot be read`, {}, { cause: error });
      }
    }
    if (!privateKey) throw createError('GK_CONFIG', 'GITHUB_APP_ID is set but neither GITHUB_APP_PRIVATE_KEY nor GITHUB_APP_PRIVATE_KEY_FILE is');
    app = { appId: env.GITHUB_APP_ID, privateKey: privateKey.replace(/\\n/g, '\n') };
  }
  if (!token && !app) return undefined;
  return { baseUrl, token, app, checkRuns: /^(1|true|yes)$/i.test(env.GITOPS_K8S_CHECK_RUNS ?? '') };
}

/** Gives an authenticated client for a repository event (a GitHub App needs the event's installation). */
export type GithubClientFactory = (installationId?: number) => Promise<Octokit>;

/**
 * Makes GitHub clients. Octokit here carries the retry and throttling plugins
 * (rate limits and 5xx are retried with back-off). Octokit's own logging is
 * silenced below warnings: its request errors are reported by the caller,
 * which leaves headers (and so the token) out.
 */
export function createGithubClientFactory(settings: GithubSettings, options: { userAgent?: string } = {}): GithubClientFactory {
  const log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  const userAgent = options.userAgent ?? 'gitops-k8s';
  // octokit (about 13 MiB resident) loads with the first delivery, not with every server.
  let made: Promise<GithubClientFactory> | undefined;
  const make = async (): Promise<GithubClientFactory> => {
    const { App, Octokit } = await import('octokit');
    if (settings.app) {
      const app = new App({
        appId: settings.app.appId,
        privateKey: settings.app.privateKey,
        Octokit: Octokit.defaults({ baseUrl: settings.baseUrl, userAgent, log }),
        log,
      });
      return async (installationId) => {
        if (installationId === undefined) {
          if (settings.token) return new Octokit({ auth: settings.token, baseUrl: settings.baseUrl, userAgent, log });
          throw createError('GK_CONFIG', 'the event names no GitHub App installation; install the app on the repository');
        }
        return (await app.getInstallationOctokit(installationId)) as unknown as Octokit;
      };
    }
    const client = new Octokit({ auth: settings.token, baseUrl: settings.baseUrl, userAgent, log });
    return async () => client;
  };
  return async (installationId) => {
    made ??= make().catch((error: unknown) => {
      made = undefined;
      throw error;
    });
    return (await made)(installationId);
  };
}
