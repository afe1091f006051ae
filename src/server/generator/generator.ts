import { LRUCache } from 'lru-cache';
import os from 'node:os';
import path from 'node:path';
import { createError, GitopsError } from '../../core/errors.js';
import { loadPlatformRepo } from '../../core/load/load-platform-repo.js';
import type { PlatformRepo } from '../../core/model.js';
import { createParseCache } from '../../core/yaml/parse-cache.js';
import { renderModel, type RenderedPlatform } from '../../core/render/render-platform.js';
import { createRenderCache } from '../../core/render/render-cache.js';
import { normalizeRepoPath } from '../../sources/repo-files.js';
import type { CredentialSources } from '../../sources/credentials.js';
import { openGitRemote } from '../../sources/git/git-remote.js';
import { parseGitHubURL } from '../../sources/github/github-url.js';
import { openLazySource } from '../../sources/lazy-source.js';
import { openLocalFolder } from '../../sources/local-folder.js';
import { checkRenderInWorker, recordRepoFiles } from './render-worker.js';
import type { PlatformSource } from '../../sources/platform-source.js';
import { displayURL } from '../../sources/redact.js';
import type { GeneratorContext } from '../context.js';
import { collectGarbageSoon } from './collect-garbage.js';
import { createDropGuard } from './guard.js';
import { createSizedCache } from './sized-cache.js';
import type { ServerMetrics } from '../metrics.js';
import { clusterNamesOf, prepareSets, writeReply, type PreparedSets } from './prepared-sets.js';
import { buildReply, type Reply } from './reply.js';
import { canonicalRepo, isRepoURL, matchesAllowlist } from '../repo-url.js';
import { filtersOfSelection, selectionOf, type GetParamsBody } from './request.js';

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
  /**
   * Render each newly loaded commit in a worker process first, killed at the
   * request timeout, before rendering it here. Default true; off only where
   * the code runs from TypeScript sources (tests), whose workers take seconds to start.
   */
  renderWorker?: boolean;
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

/** Loads of one commit at most: each reads what the one before asked for and was not read ahead. */
const MAX_LOAD_PASSES = 4;

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

/** Runs `work`, failing with GK_TIMEOUT after `ms`; the timeout also aborts the signal `work` gets, which stops its git work and its render worker. */
function withTimeout<T>(work: (signal: AbortSignal) => Promise<T>, ms: number, what: string): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = createError('GK_TIMEOUT', `${what} took longer than ${ms} ms`);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  return Promise.race([work(controller.signal), timeout]).finally(() => clearTimeout(timer));
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
  const models = createSizedCache<Model>(cacheBytes / 2, (m) => m.bytes);
  const replies = createSizedCache<Reply>(cacheBytes / 2, (r) => r.bytes);
  // Whole rendered models are large (~10 KiB per Application): at most two
  // (a preview's base and head), and only for a minute after their last use.
  const platforms = new LRUCache<string, RenderedPlatform>({ max: 2, ttl: 60_000, ttlAutopurge: true, updateAgeOnGet: true });
  // A new commit changes a few files: the others' parses are taken from here (keyed by blob id, so shared by every repo and branch).
  const parseCache = createParseCache({
    maxBytes: options.parseCacheBytes,
    onLookup: (hit) => metrics.cache.inc({ cache: 'parse', result: hit ? 'hit' : 'miss' }),
  });
  // What rendering learns of those parses (layers, template analyses, shared parts), weak on them: kept as long as they are.
  const renderCache = createRenderCache();
  const buildModel = createCoalescer<Model>();
  const buildPlatform = createCoalescer<RenderedPlatform>();
  const coalesceReply = createCoalescer<Reply>();
  const guard = createDropGuard(options.maxDrop);
  const githubHost = (
    options.github?.host ?? (options.github?.apiUrl ? new URL(options.github.apiUrl).hostname.replace(/^api\./, '') : 'github.com')
  ).toLowerCase();
  let ready = false;
  let warming: Promise<void> | undefined;
  // Stops render workers when the server closes.
  const closing = new AbortController();

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
          (await import('../../sources/github/github.js')).openGitHubRepo({
            url: repoURL,
            apiUrl: github.apiUrl,
            credentials: options.credentials ?? {},
            refreshIntervalMs: options.refreshIntervalMs,
            retryBaseMs: github.retryBaseMs,
            onFetch: observe('github'),
          }),
        );
      } else if (['https:', 'http:', 'ssh:', 'file:'].includes(protocol)) {
        source = openGitRemote({
          url: repoURL,
          cacheDir,
          credentials: options.credentials ?? {},
          refreshIntervalMs: options.refreshIntervalMs,
          fetchTimeoutMs: options.fetchTimeoutMs ?? 25_000,
          onFetch: observe('git'),
        });
      } else {
        throw createError('GK_BAD_REQUEST', `repoURL scheme ${protocol} is not supported; use https://, ssh:// or file://`, { field: 'repoURL' });
      }
    }
    sources.set(key, source);
    return source;
  };

  const resolveTarget = async (params: { repoURL?: string; revision?: string; path?: string }, signal?: AbortSignal): Promise<Target> => {
    const repoURL = params.repoURL || defaultRepo;
    // The allowlist is checked before anything is fetched or even parsed further.
    if (!isAllowed(repoURL)) {
      throw createError('GK_REPO_NOT_ALLOWED', `repository ${displayURL(repoURL)} is not on the allowlist of this generator`, { field: 'repoURL' });
    }
    const pathPrefix = normalizeRepoPath(params.path ?? '.', { field: 'path' });
    const revision = params.revision ?? '';
    const source = sourceFor(repoURL);
    const commit = await source.resolve(revision, signal);
    const lineage = `${canonicalRepo(repoURL, cwd)}\0${pathPrefix}\0${revision}\0`;
    return { repoURL, source, commit, pathPrefix, revision, lineage, key: `${lineage}${commit}` };
  };

  const renderOptionsOf = (target: Target): { pathPrefix?: string } => ({ pathPrefix: target.pathPrefix === '.' ? undefined : target.pathPrefix });
  const loadTarget = async (target: Target, signal: AbortSignal): Promise<PlatformRepo> => {
    const source = await target.source.open(target.commit, target.pathPrefix === '.' ? '' : target.pathPrefix, { parseCache });
    const files = recordRepoFiles(source);
    const load = {
      repoURL: isRepoURL(target.repoURL) ? displayURL(target.repoURL) : target.repoURL === defaultRepo ? options.localRepoURL : undefined,
      targetRevision: target.revision || undefined,
      argocdNamespace: options.argocdNamespace,
    };
    // A git source reads a file it did not read ahead only between passes (a blocking read would stall the server): try again then.
    const withDeferredReads = async <T>(attempt: () => T): Promise<T> => {
      for (let pass = 1; ; pass++) {
        try {
          return attempt();
        } catch (error) {
          if (pass >= MAX_LOAD_PASSES || !(await source.readDeferred?.(signal))) throw error;
        }
      }
    };
    const repo = await withDeferredReads(() => loadPlatformRepo(files.files, { ...load, parseCache }));
    // Templates come from Git: the commit is rendered whole in a worker process first, which the timeout
    // kills, so that a commit renders here only once it is known to render in time.
    if (options.renderWorker !== false) {
      const snapshot = await withDeferredReads(() => files.snapshot());
      await checkRenderInWorker({ snapshot, load, render: renderOptionsOf(target) }, AbortSignal.any([signal, closing.signal]));
    }
    return repo;
  };
  const renderTarget = async (target: Target, signal: AbortSignal): Promise<RenderedPlatform> =>
    renderModel(await loadTarget(target, signal), renderOptionsOf(target), renderCache);

  const loadModel = async (params: { repoURL?: string; revision?: string; path?: string }, signal: AbortSignal): Promise<Model> => {
    const target = await resolveTarget(params, signal);
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
        const repo = platforms.get(key)?.repo ?? (await loadTarget(target, signal));
        // Without a request `path` the platform repo's own gitops.yaml `path` places it, as it does for the spec's path sources.
        const sets = prepareSets(repo, target.pathPrefix === '.' ? (repo.settings.path ?? '') : target.pathPrefix, {
          render: renderOptionsOf(target),
          cache: renderCache,
        });
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
  const loadPlatform = async (
    params: { repoURL?: string; revision?: string; path?: string },
    signal: AbortSignal,
  ): Promise<{ target: Target; platform: RenderedPlatform }> => {
    const target = await resolveTarget(params, signal);
    const cached = platforms.get(target.key);
    if (cached) {
      metrics.cache.inc({ cache: 'platform', result: 'hit' });
      return { target, platform: cached };
    }
    const platform = await buildPlatform(
      target.key,
      async () => {
        metrics.cache.inc({ cache: 'platform', result: 'miss' });
        const rendered = await renderTarget(target, signal);
        platforms.set(target.key, rendered);
        return rendered;
      },
      () => metrics.cache.inc({ cache: 'platform', result: 'shared' }),
    );
    return { target, platform };
  };

  const getPlatform: GeneratorContext['getPlatform'] = async (params) => {
    const { target, platform } = await withTimeout((signal) => loadPlatform(params, signal), requestTimeoutMs, 'reading the platform repo');
    return { repoURL: displayURL(target.repoURL), commit: target.commit, platform };
  };

  const getReply = async (body: GetParamsBody): Promise<Reply> => {
    const parameters = body.input?.parameters ?? {};
    // Checked before anything is fetched; normalised, so that spellings of one selection share a cache entry.
    const selection = selectionOf(parameters);
    const work = async (signal: AbortSignal): Promise<Reply> => {
      const model = await loadModel(parameters, signal);
      // Under the model's key, so that a branch moving on frees its replies with its model.
      const key = `${model.key}\0${selection.key}`;
      const cached = replies.get(key);
      if (cached) {
        metrics.cache.inc({ cache: 'reply', result: 'hit' });
        return cached;
      }
      return coalesceReply(
        key,
        async () => {
          metrics.cache.inc({ cache: 'reply', result: 'miss' });
          const filters = filtersOfSelection(selection, (wanted) => clusterNamesOf(wanted, model.sets.clusters));
          // Renders what it selects, a (cluster, folder) pair at a time, straight into gzip.
          const reply = await buildReply((sink) => writeReply(model.sets, filters, sink), model.commit);
          replies.set(key, reply);
          return reply;
        },
        () => metrics.cache.inc({ cache: 'reply', result: 'shared' }),
      );
    };
    const reply = await withTimeout(work, requestTimeoutMs, 'answering getparams');
    guard(
      body.applicationSetName
        ? `${body.applicationSetName}\0${JSON.stringify([parameters.repoURL, parameters.revision, parameters.path])}\0${selection.key}`
        : undefined,
      reply.count,
    );
    return reply;
  };

  const warm = (): Promise<void> => {
    warming ??= withTimeout((signal) => loadModel({}, signal), requestTimeoutMs, 'reading the platform repo')
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
      closing.abort(createError('GK_NOT_READY', 'the server is shutting down'));
      for (const source of sources.values()) source.close();
      models.clear();
      replies.clear();
      platforms.clear();
    },
  };
}
