import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';

/** What one git process did. */
export interface ExecResult {
  code: number;
  signal: string | null;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
  /** Killed because the caller's signal was aborted. */
  aborted?: boolean;
  /** Set when git could not be started at all. */
  spawnError?: string;
}

/** One git call, as plain data (it crosses a process boundary). */
export interface ExecRequest {
  args: string[];
  env: NodeJS.ProcessEnv;
  input?: Buffer;
  timeoutMs: number;
  /** Run niced (background refreshes), so that answering requests keeps the CPU. */
  lowPriority?: boolean;
}

/** Niceness of background git calls (and of the processes they start, which inherit it). */
const LOW_PRIORITY = 10;

const MAX_BUFFER = 512 * 1024 * 1024;

/** Spawns git (no shell), collects its output, kills it after `timeoutMs` or when `signal` is aborted. */
export function execGitHere(request: ExecRequest, signal?: AbortSignal): Promise<ExecResult> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve({ code: -1, signal: null, stdout: Buffer.alloc(0), stderr: '', timedOut: false, aborted: true });
      return;
    }
    // A process group of its own: git runs helpers (git-remote-http, ssh) that must die with it.
    const child = spawn('git', request.args, { env: request.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    if (request.lowPriority && child.pid !== undefined) {
      try {
        setPriority(child.pid, LOW_PRIORITY);
      } catch {
        // Not permitted here (some sandboxes): it runs at normal priority.
      }
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let timedOut = false;
    let spawnError: string | undefined;
    let aborted = false;
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, request.timeoutMs);
    const abort = (): void => {
      aborted = true;
      kill();
    };
    signal?.addEventListener('abort', abort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_BUFFER) kill();
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => {
      spawnError = error.message;
    });
    child.on('close', (code, killedBy) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      resolve({ code: code ?? -1, signal: killedBy, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), timedOut, aborted, spawnError });
    });
    child.stdin.end(request.input ?? '');
  });
}
