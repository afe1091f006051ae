import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createError } from '../../core/errors.js';
import { loadPlatformRepo, type LoadOptions } from '../../core/load/load-platform-repo.js';
import type { RenderOptions } from '../../core/render/render-applications.js';
import { renderModel } from '../../core/render/render-platform.js';
import type { RepoEntry, RepoFiles } from '../../sources/repo-files.js';

/** What a load read of a commit, so that a worker can load it again without the source. */
export interface RepoSnapshot {
  label: string;
  lists: [string, RepoEntry[] | undefined][];
  kinds: [string, 'file' | 'dir' | undefined][];
  files: [string, Uint8Array][];
}

/**
 * Wraps a commit's files so that what a load reads is kept. Files a parse
 * cache answered for (by content id) were not read: the snapshot reads them.
 */
export function recordRepoFiles(files: RepoFiles): { files: RepoFiles; snapshot(): RepoSnapshot } {
  const lists = new Map<string, RepoEntry[] | undefined>();
  const kinds = new Map<string, 'file' | 'dir' | undefined>();
  const read = new Map<string, Buffer>();
  const identified = new Set<string>();
  const recording: RepoFiles = {
    label: files.label,
    list(dir) {
      const entries = files.list(dir);
      lists.set(dir, entries);
      return entries;
    },
    kind(p) {
      const kind = files.kind(p);
      kinds.set(p, kind);
      return kind;
    },
    read(file, maxBytes) {
      const bytes = files.read(file, maxBytes);
      read.set(file, bytes);
      return bytes;
    },
    ...(files.contentId
      ? {
          contentId(file: string) {
            identified.add(file);
            return files.contentId!(file);
          },
        }
      : {}),
  };
  return {
    files: recording,
    snapshot() {
      // Every file is tried before the first failure is thrown: a git source that defers reads then
      // reads all of them in one batch, instead of one per load pass.
      let failure: unknown;
      for (const file of identified) {
        if (read.has(file)) continue;
        try {
          read.set(file, files.read(file));
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure !== undefined) throw failure;
      return { label: files.label, lists: [...lists], kinds: [...kinds], files: [...read] };
    },
  };
}

/** The files of a snapshot; anything the recorded load did not read is missing. */
function openSnapshot(snapshot: RepoSnapshot): RepoFiles {
  const lists = new Map(snapshot.lists);
  const kinds = new Map(snapshot.kinds);
  const files = new Map(snapshot.files);
  return {
    label: snapshot.label,
    list: (dir) => lists.get(dir),
    kind: (p) => kinds.get(p),
    read(file) {
      const bytes = files.get(file);
      if (!bytes) throw createError('GK_NOT_FOUND', 'does not exist', { file });
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
  };
}

/** What the worker is asked to do. */
interface RenderJob {
  snapshot: RepoSnapshot;
  load: Omit<LoadOptions, 'parseCache'>;
  render: RenderOptions;
}

const running = new Set<ChildProcess>();

/**
 * This module as a script to fork. Run from TypeScript sources (tests), a
 * worker would compile its modules again through the TypeScript loader, for
 * many seconds: the compiled module in dist/ is used when there is one.
 */
function workerScript(): { script: string; execArgv?: string[] } {
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith('.ts')) return { script: self };
  // From the sources (a test run through the TypeScript loader): tsc's build of this module, where there is one.
  const root = path.resolve(path.dirname(self), '..', '..', '..');
  const built = path.join(root, 'dist', path.relative(root, self).replace(/\.ts$/, '.js'));
  return existsSync(built) ? { script: built, execArgv: [] } : { script: self };
}
// Marks the process as a render worker; the module runs its job only there.
const WORKER_ENV = 'GITOPS_K8S_RENDER_WORKER';

/**
 * Loads and renders a whole commit in a worker process, which `signal`
 * kills (a process rather than a worker thread: it starts with the same
 * module loader as this one, and its memory is its own): templates come from Git, and a render that takes too long
 * must stop, not go on holding a core after its request has been answered
 * 504, nor block the event loop that answers /healthz and other repos.
 * Resolves once the render has finished, whatever it found: its problems
 * are reported by the renders that follow, for the parts they select.
 */
export function checkRenderInWorker(job: RenderJob, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const { script, execArgv } = workerScript();
    const worker = fork(script, [], {
      ...(execArgv ? { execArgv } : {}),
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, [WORKER_ENV]: '1' },
    });
    running.add(worker);
    worker.send(job);
    let settled = false;
    const settle = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', abort);
      if (error === undefined) resolve();
      else reject(error instanceof Error ? error : new Error(String(error)));
    };
    const abort = (): void => {
      settle(signal.reason);
      worker.kill('SIGKILL');
    };
    signal.addEventListener('abort', abort, { once: true });
    worker.once('message', () => settle());
    worker.once('error', (error) => settle(error));
    worker.once('exit', (code, signal) => {
      running.delete(worker);
      settle(new Error(`the render worker stopped (${signal ?? `exit code ${code}`})`));
    });
  });
}

function runJob(job: RenderJob): void {
  try {
    renderModel(loadPlatformRepo(openSnapshot(job.snapshot), job.load), job.render);
  } catch {
    // What a render finds is for the renders that follow to report; this one is only timed.
  }
  process.send!('done', () => process.disconnect());
}

if (process.env[WORKER_ENV] === '1' && process.send) {
  delete process.env[WORKER_ENV];
  process.once('message', (job) => runJob(job as RenderJob));
}
