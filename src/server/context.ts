import type {} from 'fastify';
import type { PreviewQueue } from '../integrations/github/preview-queue.js';
import type { RenderedPlatform } from '../core/render/render-platform.js';

/** What route plugins use to reach the platform repo; decorated on the fastify instance as `gitops`. */
export interface GeneratorContext {
  /** Renders the platform repo at a revision through the caches. */
  getPlatform(params: { repoURL?: string; revision?: string; path?: string }): Promise<{ repoURL: string; commit: string; platform: RenderedPlatform }>;
  /** Drops what is cached for a repository (push webhook); the next call fetches again. */
  invalidate(repoURL: string): void;
  /** Whether a repo URL is on the allowlist. */
  isAllowed(repoURL: string): boolean;
  /** The default repo (--repo). */
  readonly defaultRepo: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    gitops: GeneratorContext;
    /** The pull-request preview queue: `onIdle()` resolves once every queued preview has run. */
    previews: Pick<PreviewQueue, 'onIdle' | 'size'>;
  }
}
