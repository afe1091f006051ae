import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { execGitHere, type ExecRequest, type ExecResult } from './exec-git.js';

let child: ChildProcess | undefined;
let enabled = false;
let nextId = 0;
const pending = new Map<number, { owner: ChildProcess; resolve: (result: ExecResult) => void }>();

/**
 * Makes git calls go through the spawner process (see git-spawner-child.ts).
 * The server turns this on; the CLI's one-shot commands do not need it.
 */
export function useGitSpawner(on: boolean): void {
  enabled = on;
  if (!on) stopGitSpawner();
}

/** Stops the spawner process; calls in flight get a spawn error. */
export function stopGitSpawner(): void {
  const running = child;
  child = undefined;
  if (!running) return;
  running.kill();
  failPending(running, 'the git spawner stopped');
}

/** Fails the calls sent to one spawner process (a new one may already serve others). */
function failPending(owner: ChildProcess, reason: string): void {
  for (const [id, entry] of pending) {
    if (entry.owner !== owner) continue;
    pending.delete(id);
    entry.resolve({ code: -1, signal: null, stdout: Buffer.alloc(0), stderr: '', timedOut: false, spawnError: reason });
  }
}

function spawner(): ChildProcess {
  if (child?.connected) return child;
  // Under the test runner the sources are .ts; the loader flags are inherited.
  const self = fileURLToPath(import.meta.url);
  const script = self.replace(/git-spawner\.(ts|js)$/, 'git-spawner-child.$1');
  const started = fork(script, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  started.on('message', (message: { id: number; result: ExecResult }) => {
    const resolve = pending.get(message.id)?.resolve;
    if (!resolve) return;
    pending.delete(message.id);
    // Structured clone turns a Buffer into a Uint8Array.
    resolve({ ...message.result, stdout: Buffer.from(message.result.stdout.buffer, message.result.stdout.byteOffset, message.result.stdout.byteLength) });
  });
  started.on('exit', () => {
    if (child === started) child = undefined;
    failPending(started, 'the git spawner exited');
  });
  // Neither the process nor its channel keeps the server alive.
  started.unref();
  started.channel?.unref();
  child = started;
  return started;
}

/** Runs git through the spawner when it is on, else here; an aborted `signal` kills it. */
export function execGit(request: ExecRequest, signal?: AbortSignal): Promise<ExecResult> {
  if (!enabled || signal?.aborted) return execGitHere(request, signal);
  const id = nextId++;
  let cancel: (() => void) | undefined;
  return new Promise<ExecResult>((resolve) => {
    const target = spawner();
    pending.set(id, { owner: target, resolve });
    // An active call keeps the channel referenced so the answer arrives.
    target.channel?.ref();
    target.send({ id, request }, (error) => {
      if (error) {
        pending.delete(id);
        resolve({ code: -1, signal: null, stdout: Buffer.alloc(0), stderr: '', timedOut: false, spawnError: error.message });
      }
    });
    // The signal cannot cross the process boundary: the spawner is told to kill that git.
    cancel = () => {
      if (target.connected) target.send({ id, cancel: true }, () => undefined);
    };
    signal?.addEventListener('abort', cancel, { once: true });
  }).finally(() => {
    if (cancel) signal?.removeEventListener('abort', cancel);
    if (pending.size === 0) child?.channel?.unref();
  });
}
