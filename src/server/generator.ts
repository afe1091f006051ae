import { LRUCache } from 'lru-cache';
import os from 'node:os';
import path from 'node:path';
import { createError, GitopsError } from '../errors.js';
import { loadPlatformRepo } from '../load-platform-repo.js';
import type { PlatformRepo } from '../model.js';
import { createParseCache } from '../parse-cache.js';
import { renderModel, type RenderedPlatform } from '../render-platform.js';
import { normalizeRepoPath } from '../repo-files.js';
import type { CredentialSources } from '../sources/credentials.js';
import { openGitRemote } from '../sources/git-remote.js';
import { parseGitHubURL } from '../sources/github-url.js';
import { openLazySource } from '../sources/lazy-source.js';
import { openLocalFolder } from '../sources/local-folder.js';
import type { PlatformSource } from '../sources/platform-source.js';
import { displayURL } from '../sources/redact.js';
import type { GeneratorContext } from './context.js';
import { collectGarbageSoon } from './collect-garbage.js';
import { createDropGuard } from './guard.js';
import type { ServerMetrics } from './metrics.js';
import { clusterNamesOf, prepareSets, writeReply, type PreparedSets } from './prepared-sets.js';
import { buildReply, type Reply } from './reply.js';
import { canonicalRepo, isRepoURL, matchesAllowlist } from './repo-url.js';
import { selectionOf, type GetParamsBody } from './request.js';

/** Options of the generator: sources, caches and safety. */
export interface GeneratorOptions {
  /** The default platform repo: a URL or a local folder. */
  repo: string;
  /** The URL Argo CD knows `repo` by when it is a local folder (its git remote): path sources need it. */
  localRepoURL?: string;
  /** Repos callers may name (exact, or a prefix ending in `*`). Default: only `repo`. */
  allow?: string[];
  /** Folder for bare clones. Default `$TMPDIR/gitops-k8s-cache`. */
  cacheDir?: string;
  credentials?: CredentialSources;
  /**
   * Read `https://<github host>/<owner>/<repo>` URLs through GitHub's REST API
   * instead of git. `apiUrl` defaults to `GITHUB_API_URL` or https://api.github.com;
   * `host` to github.com (or the API URL's host for GitHub Enterprise).
   */
  github?: { apiUrl?: string; host?: string; retryBaseMs?: number };
  /** A branch is fetched again when its last fetch is older than this (ms). Default 1000; push webhooks invalidate at once. */
  refreshIntervalMs?: number;
  /** A git fetch taking longer fails (ms). Default 25 000. */
  fetchTimeoutMs?: number;
  /** A request taking longer is answered 504 (ms). Default 25 000 (Argo CD gives up after 30 s). */
  requestTimeoutMs?: number;
  /** Memory for loaded commits and gzipped replies, in bytes (half each). Default 256 MiB. */
  cacheBytes?: number;
  /** Memory for parsed files kept across commits (by git blob id), in bytes. Default 64 MiB. */
  parseCacheBytes?: number;
  /** Drop guard: refuse a reply that drops more than this share (0..1) of the last good reply's sets. */
  maxDrop?: number;
  /** Namespace of Argo CD, for the rendered Applications. */
  argocdNamespace?: string;
  /** Resolves relative folders. */
  cwd?: string;
}

/** A commit of a repo at a path, as the caches know it. */
interface Target {
  repoURL: string;
  source: PlatformSource;
  commit: string;
  pathPrefix: string;
  revision: string;
  /** Cache key without the commit: older commits of the same lineage are freed when it moves on. */
  lineage: string;
  key: string;
}

/** The loaded repo's model objects per app (the parsed files are counted by the parse cache). */
const REPO_BYTES_PER_APP = 4096;

/** One loaded commit and its parameter sets, held in the cache. */
interface Model {
  /** The target's key: replies of this model are keyed under it. */
  key: string;
  commit: string;
  sets: PreparedSets;
  /** Its estimated size, for the LRU. */
  bytes: number;
}

export interface Generator extends GeneratorContext {
  /** The reply to one getparams call, through the caches. */
  getReply(body: GetParamsBody): Promise<Reply>;
  /** Whether the default repo has been loaded once. */
  isReady(): boolean;
  /** Loads the default repo (once at a time). */
  warm(): Promise<void>;
  /** Aborts what is in flight. */
  close(): void;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(createError('GK_TIMEOUT', `${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs `build` once per key at a time; callers of the same key share the promise. */
function createCoalescer<T>(): (key: string, build: () => Promise<T>, onShared?: () => void) => Promise<T> {
  const inFlight = new Map<string, Promise<T>>();
  return (key, build, onShared) => {
    const running = inFlight.get(key);
    if (running) {
      onShared?.();
      return running;
    }
    const promise = build().finally(() => inFlight.delete(key));
    inFlight.set(key, promise);
    return promise;
  };
}

/**
 * The generator behind `/api/v1/getparams.execute` and the `gitops`
 * decorator: allowlist, sources, the model cache per (repo, commit, path,
 * revision), the reply cache per (that, input), coalescing and the drop guard.
 */
export function createGenerator(options: GeneratorOptions, metrics: ServerMetrics): Generator {
  const cwd = options.cwd ?? process.cwd();
  const defaultRepo = isRepoURL(options.repo) ? options.repo : path.resolve(cwd, options.repo);
  const allow = options.allow?.length ? options.allow : [defaultRepo];
  const cacheDir = options.cacheDir ?? path.join(os.tmpdir(), 'gitops-k8s-cache');
  const requestTimeoutMs = options.requestTimeoutMs ?? 25_000;
  const cacheBytes = options.cacheBytes ?? 256 * 1024 * 1024;
  const sources = new Map<string, PlatformSource>();
  // Half for loaded commits, half for gzipped replies: the full reply of a
  // large repo must fit, or every reconcile would render it again.
  const models = new LRUCache<string, Model>({ maxSize: Math.floor(cacheBytes / 2), sizeCalculation: (m) => Math.max(1, m.bytes) });
  const replies = new LRUCache<string, Reply>({ maxSize: Math.floor(cacheBytes / 2), sizeCalculation: (r) => Math.max(1, r.bytes) });
  // Whole rendered models are large (~10 KiB per Application): at most two
  // (a preview's base and head), and only for a minute after their last use.
  const platforms = new LRUCache<string, RenderedPlatform>({ max: 2, ttl: 60_000, ttlAutopurge: true, updateAgeOnGet: true });
  // A new commit changes a few files: the others' parses are taken from here (keyed by blob id, so shared by every repo and branch).
  const parseCache = createParseCache({ maxBytes: options.parseCacheBytes, onLookup: (hit) => metrics.cache.inc({ cache: 'parse', result: hit ? 'hit' : 'miss' }) });
  const buildModel = createCoalescer<Model>();
  const buildPlatform = createCoalescer<RenderedPlatform>();
  const coalesceReply = createCoalescer<Reply>();
  const guard = createDropGuard(options.maxDrop);
  const githubHost = (options.github?.host ?? (options.github?.apiUrl ? new URL(options.github.apiUrl).hostname.replace(/^api\./, '') : 'github.com')).toLowerCase();
  let ready = false;
  let warming: Promise<void> | undefined;

  const isAllowed = (repoURL: string): boolean => matchesAllowlist(repoURL, allow, cwd);

  const sourceFor = (repoURL: string): PlatformSource => {
    const key = canonicalRepo(repoURL, cwd);
    let source = sources.get(key);
    if (source) return source;
    const observe = (kind: string) => (seconds: number, ok: boolean) => metrics.fetchDuration.observe({ source: kind, outcome: ok ? 'ok' : 'error' }, seconds);
    if (!isRepoURL(repoURL)) {
      source = openLocalFolder(path.resolve(cwd, repoURL));
    } else {
      const protocol = new URL(repoURL).protocol;
      const gh = parseGitHubURL(repoURL);
      if (options.github && gh && gh.host === githubHost) {
        const github = options.github;
        source = openLazySource(displayURL(repoURL), async () =>
          (await import('../sources/github.js')).openGitHubRepo({ url: repoURL, apiUrl: github.apiUrl, credentials: options.credentials ?? {}, refreshIntervalMs: options.refreshIntervalMs, retryBaseMs: github.retryBaseMs, onFetch: observe('github') }),
        );
      } else if (['https:', 'http:', 'ssh:', 'file:'].includes(protocol)) {
        source = openGitRemote({ url: repoURL, cacheDir, credentials: options.credentials ?? {}, refreshIntervalMs: options.refreshIntervalMs, fetchTimeoutMs: options.fetchTimeoutMs ?? 25_000, onFetch: observe('git') });
      } else {
        throw createError('GK_BAD_REQUEST', `repoURL scheme ${protocol} is not supported; use https://, ssh:// or file://`, { field: 'repoURL' });
      }
    }
    sources.set(key, source);
    return source;
  };

  const resolveTarget = async (params: { repoURL?: string; revision?: string; path?: string }): Promise<Target> => {
    const repoURL = params.repoURL || defaultRepo;
    // The allowlist is checked before anything is fetched or even parsed further.
    if (!isAllowed(repoURL)) {
      throw createError('GK_REPO_NOT_ALLOWED', `repository ${displayURL(repoURL)} is not on the allowlist of this generator`, { field: 'repoURL' });
    }
    const pathPrefix = normalizeRepoPath(params.path ?? '.', { field: 'path' });
    const revision = params.revision ?? '';
    const source = sourceFor(repoURL);
    const commit = await source.resolve(revision);
    const lineage = `${canonicalRepo(repoURL, cwd)}\0${pathPrefix}\0${revision}\0`;
    return { repoURL, source, commit, pathPrefix, revision, lineage, key: `${lineage}${commit}` };
  };

  const loadTarget = async (target: Target): Promise<PlatformRepo> => {
    const files = await target.source.open(target.commit, target.pathPrefix === '.' ? '' : target.pathPrefix, { parseCache });
    return loadPlatformRepo(files, {
      repoURL: isRepoURL(target.repoURL) ? displayURL(target.repoURL) : target.repoURL === defaultRepo ? options.localRepoURL : undefined,
      targetRevision: target.revision || undefined,
      argocdNamespace: options.argocdNamespace,
      parseCache,
    });
  };
  const renderOptionsOf = (target: Target): { pathPrefix?: string } => ({ pathPrefix: target.pathPrefix === '.' ? undefined : target.pathPrefix });
  const renderTarget = async (target: Target): Promise<RenderedPlatform> => renderModel(await loadTarget(target), renderOptionsOf(target));

  const loadModel = async (params: { repoURL?: string; revision?: string; path?: string }): Promise<Model> => {
    const target = await resolveTarget(params);
    const { key, lineage } = target;
    const cached = models.get(key);
    if (cached) {
      metrics.cache.inc({ cache: 'model', result: 'hit' });
      return cached;
    }
    return buildModel(
      key,
      async () => {
        metrics.cache.inc({ cache: 'model', result: 'miss' });
        // The branch moved on: what was built for its older commits is not
        // asked for again (a pinned commit is a lineage of its own), so free it
        // before building, to keep one commit per branch in memory.
        let freed = false;
        for (const cache of [models, replies] as LRUCache<string, object>[]) {
          for (const k of [...cache.keys()]) {
            if (k.startsWith(lineage) && !k.startsWith(key)) freed = cache.delete(k) || freed;
          }
        }
        if (freed) collectGarbageSoon();
        const end = metrics.buildDuration.startTimer();
        // A repo the status page or a preview loaded a moment ago is reused.
        const repo = platforms.get(key)?.repo ?? (await loadTarget(target));
        // Without a request `path` the platform repo's own gitops.yaml `path` places it, as it does for the spec's path sources.
        const sets = prepareSets(repo, target.pathPrefix === '.' ? (repo.settings.path ?? '') : target.pathPrefix, { render: renderOptionsOf(target) });
        end();
        const bytes = repo.namespaces.reduce((n, ns) => n + ns.apps.length, 0) * REPO_BYTES_PER_APP;
        const model: Model = { key, commit: target.commit, sets, bytes };
        models.set(key, model);
        return model;
      },
      () => metrics.cache.inc({ cache: 'model', result: 'shared' }),
    );
  };

  // The rendered model, for the rarer callers that need it whole (status
  // page, previews): rendered on demand, kept briefly in a small cache of its own.
  const loadPlatform = async (params: { repoURL?: string; revision?: string; path?: string }): Promise<{ target: Target; platform: RenderedPlatform }> => {
    const target = await resolveTarget(params);
    const cached = platforms.get(target.key);
    if (cached) {
      metrics.cache.inc({ cache: 'platform', result: 'hit' });
      return { target, platform: cached };
    }
    const platform = await buildPlatform(
      target.key,
      async () => {
        metrics.cache.inc({ cache: 'platform', result: 'miss' });
        const rendered = await renderTarget(target);
        platforms.set(target.key, rendered);
        return rendered;
      },
      () => metrics.cache.inc({ cache: 'platform', result: 'shared' }),
    );
    return { target, platform };
  };

  const getPlatform: GeneratorContext['getPlatform'] = async (params) => {
    const { target, platform } = await withTimeout(loadPlatform(params), requestTimeoutMs, 'reading the platform repo');
    return { repoURL: displayURL(target.repoURL), commit: target.commit, platform };
  };

  const getReply = async (body: GetParamsBody): Promise<Reply> => {
    const parameters = body.input?.parameters ?? {};
    const work = async (): Promise<Reply> => {
      const model = await loadModel(parameters);
      const selection = JSON.stringify([parameters.cluster, parameters.clusters, parameters.namespace, parameters.namespaces, parameters.labels, parameters.clusterLabels]);
      // Under the model's key, so that a branch moving on frees its replies with its model.
      const key = `${model.key}\0${selection}`;
      const cached = replies.get(key);
      if (cached) {
        metrics.cache.inc({ cache: 'reply', result: 'hit' });
        return cached;
      }
      return coalesceReply(
        key,
        async () => {
          metrics.cache.inc({ cache: 'reply', result: 'miss' });
          const filters = selectionOf(parameters, (wanted) => clusterNamesOf(wanted, model.sets.clusters));
          // Renders what it selects, a (cluster, folder) pair at a time, straight into gzip.
          const reply = await buildReply((sink) => writeReply(model.sets, filters, sink), model.commit);
          replies.set(key, reply);
          return reply;
        },
        () => metrics.cache.inc({ cache: 'reply', result: 'shared' }),
      );
    };
    const reply = await withTimeout(work(), requestTimeoutMs, 'answering getparams');
    guard(body.applicationSetName ? `${body.applicationSetName}\0${JSON.stringify(parameters)}` : undefined, reply.count);
    return reply;
  };

  const warm = (): Promise<void> => {
    warming ??= withTimeout(loadModel({}), requestTimeoutMs, 'reading the platform repo')
      .then(() => {
        ready = true;
      })
      .catch((error: unknown) => {
        if (!(error instanceof GitopsError)) throw error;
      })
      .finally(() => {
        warming = undefined;
      });
    return warming;
  };

  return {
    defaultRepo,
    getPlatform: async (params) => {
      const result = await getPlatform(params);
      if (!params.repoURL) ready = true;
      return result;
    },
    getReply: async (body) => {
      const reply = await getReply(body);
      if (!body.input?.parameters?.repoURL) ready = true;
      return reply;
    },
    invalidate(repoURL) {
      const key = canonicalRepo(repoURL, cwd);
      sources.get(key)?.invalidate();
    },
    isAllowed,
    isReady: () => ready,
    warm,
    close() {
      models.clear();
      replies.clear();
      platforms.clear();
    },
  };
}
