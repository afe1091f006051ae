/** Options of {@link PreviewQueue}. */
export interface PreviewQueueOptions {
  /** Jobs running at once. Default 2: each renders two revisions of the repo. */
  concurrency?: number;
  /** Most keys waiting; past it {@link PreviewQueue.enqueue} refuses. Default 500. */
  maxPending?: number;
  /** Called with a job's error (jobs report their own failures; this catches the rest). */
  onError?: (key: string, error: unknown) => void;
}

type Job = () => Promise<void>;

/**
 * A bounded work queue deduplicated by key (one pull request): a key waits at
 * most once, holding the latest job given for it, and never runs twice at the
 * same time. A job queued while the same key runs replaces any older waiting
 * one and starts when the running one ends, so the last head pushed is the
 * one whose preview is posted last.
 */
export class PreviewQueue {
  readonly #concurrency: number;
  readonly #maxPending: number;
  readonly #onError: (key: string, error: unknown) => void;
  readonly #waiting = new Map<string, Job>();
  readonly #running = new Set<string>();
  readonly #idle: (() => void)[] = [];
  #closed = false;

  constructor(options: PreviewQueueOptions = {}) {
    this.#concurrency = Math.max(1, options.concurrency ?? 2);
    this.#maxPending = Math.max(1, options.maxPending ?? 500);
    this.#onError = options.onError ?? (() => {});
  }

  /**
   * Queues a job for a key, replacing the one waiting for it. Returns false
   * (the caller answers 503) when the queue is closed or full.
   */
  enqueue(key: string, job: Job): boolean {
    if (this.#closed) return false;
    if (!this.#waiting.has(key) && this.#waiting.size >= this.#maxPending) return false;
    this.#waiting.set(key, job);
    this.#pump();
    return true;
  }

  /** Jobs waiting plus running. */
  get size(): number {
    return this.#waiting.size + this.#running.size;
  }

  /** Resolves when nothing waits or runs: what a caller awaits before it may say a job did not happen. */
  async onIdle(): Promise<void> {
    if (this.size === 0) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /** Refuses new jobs, drops waiting ones and waits for the running ones. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#waiting.clear();
    await this.onIdle();
  }

  #pump(): void {
    for (const [key, job] of this.#waiting) {
      if (this.#running.size >= this.#concurrency) break;
      if (this.#running.has(key)) continue;
      this.#waiting.delete(key);
      this.#running.add(key);
      void this.#run(key, job);
    }
    if (this.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  async #run(key: string, job: Job): Promise<void> {
    try {
      await job();
    } catch (error) {
      try {
        this.#onError(key, error);
      } catch {
        // a failing error reporter must not stop the queue
      }
    } finally {
      this.#running.delete(key);
      this.#pump();
    }
  }
}
