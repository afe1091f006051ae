import { createError, isGitopsError } from '../../core/errors.js';
import { execGit } from './git-spawner.js';
import { redact } from '../redact.js';

/** Options of {@link runGit}. */
export interface RunGitOptions {
  /** Folder git runs in (`git -C`). */
  cwd: string;
  /** Bytes written to git's stdin. */
  input?: string | Buffer;
  /** Kills git after this many milliseconds (GK_TIMEOUT). Default 60 s. */
  timeoutMs?: number;
  /** Extra environment (credentials helpers, GIT_SSH_COMMAND); merged over a minimal base. */
  env?: NodeJS.ProcessEnv;
  /** Exit codes that are not failures; the caller reads `code`. */
  allowCodes?: number[];
  /** Run niced: a background refresh must not take the CPU from requests being answered. */
  lowPriority?: boolean;
  /** Kills git when aborted (the request needing it went away, or the server is closing). */
  signal?: AbortSignal;
}

/** The outcome of one git call. */
export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** The environment git runs with: never interactive, no system/global config surprises for prompts. */
export function gitEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    GCM_INTERACTIVE: 'never',
    LC_ALL: 'C',
    ...extra,
  };
}

/**
 * Runs git without a shell. A failure becomes GK_GIT (GK_TIMEOUT when it ran
 * out of time) with git's stderr, credentials scrubbed, and the foreign
 * error as `cause`.
 */
export async function runGit(args: readonly string[], options: RunGitOptions): Promise<GitResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const input = options.input === undefined ? undefined : Buffer.isBuffer(options.input) ? options.input : Buffer.from(options.input);
  const result = await execGit(
    { args: ['-C', options.cwd, ...args], env: gitEnvironment(options.env), input, timeoutMs, lowPriority: options.lowPriority },
    options.signal,
  );
  if (result.aborted) throw abortError(options.signal!, `git ${args[0]}`);
  if (result.spawnError) {
    throw createError('GK_GIT', `git ${args[0]} could not run: ${redact(result.spawnError)}`, {}, { cause: new Error(redact(result.spawnError)) });
  }
  if (result.timedOut) throw createError('GK_TIMEOUT', `git ${args[0]} took longer than ${timeoutMs} ms`);
  if (result.code !== 0 && !(options.allowCodes ?? []).includes(result.code)) {
    const detail = redact(stderrSummary(result.stderr)) || `signal ${result.signal ?? 'none'}`;
    throw createError('GK_GIT', `git ${args[0]} failed (exit ${result.code}): ${detail}`, {}, { cause: new Error(redact(result.stderr)) });
  }
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The error for work stopped by an aborted signal: its reason when that is
 * ours (a timeout, a closing server), else a GK_TIMEOUT naming the work.
 */
export function abortError(signal: AbortSignal, what: string): Error {
  if (isGitopsError(signal.reason)) return signal.reason;
  return createError('GK_TIMEOUT', `${what} was stopped: the request was aborted`, {}, { cause: signal.reason });
}

// What git adds after every transport failure: the line before it (ssh's or the server's) is the one users can act on.
const BOILERPLATE = /^(fatal: Could not read from remote repository\.|Please make sure you have the correct access rights|and the repository exists\.)$/;

/** The lines of git's stderr worth showing: its own boilerplate left out, at most four lines and 600 characters. */
function stderrSummary(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const telling = lines.filter((l) => !BOILERPLATE.test(l));
  const text = (telling.length > 0 ? telling : lines).slice(-4).join(' ');
  return text.length > 600 ? `${text.slice(0, 600)}...` : text;
}

/** Runs git and returns its stdout as text. */
export async function gitText(args: readonly string[], options: RunGitOptions): Promise<string> {
  const result = await runGit(args, options);
  return result.stdout.toString('utf8');
}
