import { spawn } from 'node:child_process';
import { createError } from '../errors.js';
import { redact } from './redact.js';

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
  /** Aborts git (the server is closing, or the request was given up). */
  signal?: AbortSignal;
}

/** The outcome of one git call. */
export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

const MAX_BUFFER = 512 * 1024 * 1024;

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
export function runGit(args: readonly string[], options: RunGitOptions): Promise<GitResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', options.cwd, ...args], {
      env: gitEnvironment(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
      signal: options.signal,
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_BUFFER) child.kill('SIGKILL');
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(createError('GK_GIT', `git ${args[0]} could not run: ${redact(error.message)}`, {}, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) {
        reject(createError('GK_TIMEOUT', `git ${args[0]} took longer than ${timeoutMs} ms`));
        return;
      }
      const exit = code ?? -1;
      if (exit !== 0 && !(options.allowCodes ?? []).includes(exit)) {
        const detail = redact(stderr.trim().split('\n').slice(-3).join(' ')) || `signal ${signal ?? 'none'}`;
        reject(createError('GK_GIT', `git ${args[0]} failed (exit ${exit}): ${detail}`, {}, { cause: new Error(redact(stderr)) }));
        return;
      }
      resolve({ code: exit, stdout: Buffer.concat(out), stderr });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

/** Runs git and returns its stdout as text. */
export async function gitText(args: readonly string[], options: RunGitOptions): Promise<string> {
  const result = await runGit(args, options);
  return result.stdout.toString('utf8');
}
