import type { FastifyPluginAsync } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { readArgoSettings, type ArgoSettings } from '../../integrations/argocd/argocd-client.js';
import { errorCatalogue, formatProblem, GitopsError, isGitopsError } from '../../core/errors.js';
import { redact } from '../../sources/redact.js';
import { escapeHtml } from '../../integrations/status/escape-html.js';
import { renderStatusPage, statusPageCsp } from '../../integrations/status/status-page.js';
import { collectStatus } from '../../integrations/status/status-matrix.js';

/** Options of the status routes; everything defaults from the environment. */
export interface StatusRouteOptions {
  /** Default `process.env`: ARGOCD_SERVER, ARGOCD_AUTH_TOKEN (or _FILE), ARGOCD_INSECURE. */
  env?: NodeJS.ProcessEnv;
  /** undici dispatcher for the Argo CD API (tests, proxies). */
  dispatcher?: Dispatcher;
  /** How long Argo CD may take before the page is shown without it. Default 5 s. */
  argocdTimeoutMs?: number;
  /** The generator's bearer check: with the token, a broken commit's full messages are shown. */
  checkToken: (authorization: string | undefined) => boolean;
}

function errorPage(title: string, lines: string, note: string, nonce: string): string {
  const style = 'body{font:14px system-ui,sans-serif;margin:1.5rem}pre{background:#fff1f0;border:1px solid #ffa39e;padding:.75rem;white-space:pre-wrap}';
  const head = `<head><meta charset="utf-8"><title>gitops-k8s status</title><style nonce="${nonce}">${style}</style></head>`;
  const withheld = note ? `<p id="withheld">${escapeHtml(note)}</p>` : '';
  return `<!doctype html><html lang="en">${head}<body><h1>${escapeHtml(title)}</h1><pre id="problems">${escapeHtml(lines)}</pre>${withheld}</body></html>\n`;
}

const WITHHELD =
  "Messages are left out: they can quote values from the repo. Ask with the generator's bearer token (Authorization: Bearer ...) or read the server log.";

/**
 * A broken commit as pages without the token show it: which files and lines
 * and what kind of problem, but no message, since messages quote the
 * offending values (a password where a boolean belongs).
 */
function withoutMessages(error: GitopsError): GitopsError {
  const problems = error.problems.map((p) => ({
    code: p.code,
    ...(p.file !== undefined ? { file: p.file } : {}),
    ...(p.line !== undefined ? { line: p.line } : {}),
    message: `${errorCatalogue[p.code].title} (${p.code}); the message needs the generator's token`,
  }));
  return new GitopsError(problems, { statusCode: error.statusCode });
}

/**
 * `GET /`: the status page (app x cluster matrix of the default platform repo
 * at its current commit, with Argo CD's sync and health when configured).
 * `GET /api/v1/status`: the same matrix as JSON. Neither asks for a token;
 * on a broken commit both say which files and lines are wrong, and give the
 * messages only with the generator's bearer token.
 */
export const statusRoutes: FastifyPluginAsync<StatusRouteOptions> = async (app, options) => {
  const env = options.env ?? process.env;
  let settings: ArgoSettings | undefined;
  let settingsError: string | undefined;
  try {
    settings = readArgoSettings(env);
  } catch (error) {
    if (!isGitopsError(error)) throw error;
    settingsError = error.message;
    app.log.error({ code: error.code, message: error.message }, 'Argo CD settings are invalid; the status page shows Git only');
  }

  const load = async () => {
    const { repoURL, commit, platform } = await app.gitops.getPlatform({});
    const matrix = await collectStatus(platform, { settings, dispatcher: options.dispatcher, timeoutMs: options.argocdTimeoutMs ?? 5_000 });
    if (settingsError && matrix.argocd.state === 'off')
      Object.assign(matrix, { argocd: { state: 'error', server: env.ARGOCD_SERVER ?? '', error: settingsError } });
    return { repoURL, commit, matrix };
  };

  app.get('/', async (request, reply) => {
    const nonce = randomBytes(16).toString('base64');
    reply
      .header('content-security-policy', statusPageCsp(nonce))
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8');
    try {
      const { repoURL, commit, matrix } = await load();
      return reply.send(renderStatusPage(matrix, { source: redact(repoURL), revision: commit, nonce }));
    } catch (error) {
      if (!isGitopsError(error)) throw error;
      request.log.warn({ code: error.code, message: redact(error.message) }, 'status page: the platform repo does not render');
      const full = options.checkToken(request.headers.authorization);
      const shown = full ? error : withoutMessages(error);
      const lines = redact(shown.problems.map(formatProblem).join('\n'));
      return reply.code(error.statusCode).send(errorPage('The platform repo does not render', lines, full ? '' : WITHHELD, nonce));
    }
  });

  app.get('/api/v1/status', async (request) => {
    try {
      const { repoURL, commit, matrix } = await load();
      return { repoURL: redact(repoURL), commit, ...matrix };
    } catch (error) {
      if (!isGitopsError(error) || options.checkToken(request.headers.authorization)) throw error;
      // The full messages go to the log (operators), not to whoever asks.
      request.log.warn({ code: error.code, message: redact(error.message) }, 'status: the platform repo does not render');
      throw withoutMessages(error);
    }
  });
};
