/**
 * The one error type of gitops-k8s and its catalogue of codes.
 *
 * Every failure a user can act on is a {@link GitopsError}: a code from
 * {@link errorCatalogue}, the HTTP status the server answers with, and one or
 * more {@link Problem}s that name the repo-relative file, line and field.
 * Validation collects every problem of a repository and throws once.
 */

export const errorCatalogue = {
  GK_INVALID_YAML: { statusCode: 422, title: 'Invalid YAML' },
  GK_YAML_LIMIT: { statusCode: 422, title: 'YAML over a safety limit' },
  GK_FILE_TOO_LARGE: { statusCode: 422, title: 'File too large' },
  GK_REPO_TOO_LARGE: { statusCode: 422, title: 'Repository too large' },
  GK_PATH_ESCAPE: { statusCode: 422, title: 'Path leaves the repository' },
  GK_SUBMODULE: { statusCode: 422, title: 'Git submodule not read' },
  GK_UNKNOWN_KEY: { statusCode: 422, title: 'Unknown key' },
  GK_INVALID_VALUE: { statusCode: 422, title: 'Invalid value' },
  GK_UNPINNED_CHART: { statusCode: 422, title: 'Chart version not pinned' },
  GK_TEMPLATE: { statusCode: 422, title: 'Template error' },
  GK_UNKNOWN_PROVIDER: { statusCode: 422, title: 'Unknown provider' },
  GK_UNKNOWN_CLUSTER: { statusCode: 422, title: 'Unknown cluster' },
  GK_UNKNOWN_ENVIRONMENT: { statusCode: 422, title: 'Unknown environment' },
  GK_NAME_COLLISION: { statusCode: 422, title: 'Duplicate name' },
  GK_DEPENDENCY_CYCLE: { statusCode: 422, title: 'Dependency cycle' },
  GK_UNKNOWN_DEPENDENCY: { statusCode: 422, title: 'Unknown dependency' },
  GK_INVALID_NAME: { statusCode: 422, title: 'Invalid name' },
  GK_NO_APPS: { statusCode: 422, title: 'No apps' },
  GK_NOT_FOUND: { statusCode: 404, title: 'Not found' },
  GK_USAGE: { statusCode: 400, title: 'Usage error' },
  GK_BAD_REQUEST: { statusCode: 400, title: 'Bad request' },
  GK_UNAUTHORIZED: { statusCode: 403, title: 'Forbidden' },
  GK_BAD_SIGNATURE: { statusCode: 401, title: 'Webhook signature does not match' },
  GK_REPO_NOT_ALLOWED: { statusCode: 403, title: 'Repository not allowed' },
  GK_PAYLOAD_TOO_LARGE: { statusCode: 413, title: 'Payload too large' },
  GK_UNKNOWN_REVISION: { statusCode: 422, title: 'Unknown revision' },
  GK_GIT: { statusCode: 502, title: 'Git failure' },
  GK_GITHUB: { statusCode: 502, title: 'GitHub failure' },
  GK_GITLAB: { statusCode: 502, title: 'GitLab failure' },
  GK_ARGOCD: { statusCode: 502, title: 'Argo CD API failure' },
  GK_TIMEOUT: { statusCode: 504, title: 'Timeout' },
  GK_GUARD: { statusCode: 503, title: 'Reply refused by the drop guard' },
  GK_NOT_READY: { statusCode: 503, title: 'Not ready' },
  GK_CONFIG: { statusCode: 500, title: 'Configuration error' },
  GK_KUBECTL: { statusCode: 500, title: 'kubectl failed' },
  GK_TOOL_MISSING: { statusCode: 500, title: 'Required tool missing' },
  GK_TOOL_FAILED: { statusCode: 422, title: 'External tool failed' },
  GK_REPO_CREDENTIALS: { statusCode: 500, title: 'Repository credentials invalid' },
  GK_REPO_AUTH: { statusCode: 502, title: 'Repository refused access' },
} as const satisfies Record<string, { statusCode: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

/** Where a problem is: a repo-relative POSIX path, a 1-based line, a dotted field. */
export interface Location {
  file?: string;
  line?: number;
  field?: string;
}

/** One thing wrong, with where it is. */
export interface Problem extends Location {
  code: ErrorCode;
  message: string;
}

/** Formats a problem as `file:line: field: message`, leaving out what is unknown. */
export function formatProblem(problem: Problem): string {
  let where = '';
  if (problem.file !== undefined) {
    where = problem.line !== undefined ? `${problem.file}:${problem.line}: ` : `${problem.file}: `;
  }
  const field = problem.field ? `${problem.field}: ` : '';
  return `${where}${field}${problem.message}`;
}

function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.field ?? '').localeCompare(b.field ?? '') ||
      a.message.localeCompare(b.message),
  );
}

/**
 * How much a status outweighs others when one error holds several problems:
 * the reply must not depend on which file sorts first. A failure of what we
 * depend on (git, GitHub, config) says the answer could not be computed at
 * all, a timeout says it was not computed in time, a validation problem that
 * the repo is wrong, a request problem only that the caller asked badly.
 */
function severityOf(statusCode: number): number {
  if (statusCode === 504) return 3;
  if (statusCode >= 500) return 4;
  if (statusCode === 422) return 2;
  return 1;
}

/** The problem whose code and status the error takes: the most severe, the first in sort order among equals. */
function leadProblem(sorted: readonly Problem[]): Problem {
  let lead = sorted[0]!;
  for (const p of sorted) if (severityOf(errorCatalogue[p.code].statusCode) > severityOf(errorCatalogue[lead.code].statusCode)) lead = p;
  return lead;
}

export interface GitopsErrorOptions {
  cause?: unknown;
  /** Overrides the catalogue's status (for instance a 4xx that the server maps to 5xx). */
  statusCode?: number;
}

/**
 * The error users see. `problems` holds every problem found in one pass; the
 * message is their formatted lines, one per line, sorted by file and line.
 * The code and HTTP status are those of the most severe problem.
 */
export class GitopsError extends Error {
  override readonly name = 'GitopsError';
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly problems: readonly Problem[];

  constructor(problems: Problem | readonly Problem[], options: GitopsErrorOptions = {}) {
    const list = sortProblems(Array.isArray(problems) ? problems : [problems as Problem]);
    if (list.length === 0) throw new TypeError('GitopsError needs at least one problem');
    super(list.map(formatProblem).join('\n'), options.cause === undefined ? undefined : { cause: options.cause });
    const lead = leadProblem(list);
    this.code = lead.code;
    this.statusCode = options.statusCode ?? errorCatalogue[lead.code].statusCode;
    this.problems = list;
  }

  /** The reply body of the HTTP server, fastify style. */
  toReply(): { statusCode: number; code: ErrorCode; error: string; message: string } {
    return {
      statusCode: this.statusCode,
      code: this.code,
      error: errorCatalogue[this.code].title,
      message: this.message,
    };
  }
}

/** Makes a one-problem error. */
export function createError(code: ErrorCode, message: string, location: Location = {}, options?: GitopsErrorOptions): GitopsError {
  return new GitopsError({ code, message, ...location }, options);
}

export function isGitopsError(error: unknown): error is GitopsError {
  return error instanceof GitopsError;
}

/**
 * Collects the problems of one pass (one repo load) so that every reader adds
 * to the same list and the pass throws them all at once. The list keeps the
 * order problems were found in: `lint` reports them in that order.
 */
export class ProblemCollector {
  readonly problems: Problem[] = [];

  push(...problems: Problem[]): void {
    for (const p of problems) this.problems.push(p);
  }

  add(code: ErrorCode, message: string, location: Location = {}): void {
    this.problems.push({ code, ...location, message });
  }

  addAll(problems: Iterable<Problem>): void {
    for (const p of problems) this.problems.push(p);
  }

  /** Runs `fn`, moving a thrown GitopsError's problems into this collector. */
  capture<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (error) {
      if (error instanceof GitopsError) {
        this.addAll(error.problems);
        return undefined;
      }
      throw error;
    }
  }

  has(code: ErrorCode): boolean {
    return this.problems.some((p) => p.code === code);
  }

  get size(): number {
    return this.problems.length;
  }

  throwIfAny(): void {
    if (this.problems.length > 0) throw new GitopsError(this.problems);
  }
}
