import { LRUCache } from 'lru-cache';
import os from 'node:os';
import path from 'node:path';
import { createError, GitopsError } from '../../core/errors.js';
import { createParseCache } from '../../core/yaml/parse-cache.js';
import { resolvePathPrefix } from '../../core/render/path-prefix.js';
import { createRenderCache } from '../../core/render/render-cache.js';
import { renderModel, type RenderedPlatform } from '../../core/render/render-platform.js';
import type { CredentialSources } from '../../sources/credentials.js';
import { displayURL } from '../../sources/redact.js';
import type { GeneratorContext } from '../context.js';
import type { ServerMetrics } from '../metrics.js';
import { isRepoURL, matchesAllowlist } from '../repo-url.js';
import { freeOlderCommits, type CacheKeys } from './cache-keys.js';
import { createCachedCoalescer } from './coalesce.js';
import { createDropGuard } from './guard.js';
import { loadTarget, renderOptionsOf, type LoadScope } from './load-target.js';
import { clusterNamesOf, prepareSets, writeReply, type PreparedSets } from './prepared-sets.js';
import { buildReply, type Reply } from './reply.js';
import { filtersOfSelection, selectionOf, type GetParamsBody } from './request.js';
import { createSizedCache } from './sized-cache.js';
import { createSourceRegistry } from './source-registry.js';
import { resolveTarget, type Target, type TargetParams } from './target.js';
import { withTimeout } from './with-timeout.js';

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

/** The loaded repo's model objects per app (the parsed files are counted by the parse cache). */
const REPO_BYTES_PER_APP = 4096;

/** One loaded commit and its parameter sets, held in the cache. */
interface Model {
  /** The target's cache keys: replies of this model are cached under `keys.reply`, in its lineage. */
  keys: CacheKeys;
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

/** The drop guard's key of a request: an ApplicationSet asking for one repo, revision, path and selection; none without a name. */
function guardKeyOf(body: GetParamsBody, selectionKey: string): string | undefined {
  const parameters = body.input?.parameters ?? {};
  if (!body.applicationSetName) return undefined;
  return `${body.applicationSetName}\0${JSON.stringify([parameters.repoURL, parameters.revision, parameters.path])}\0${selectionKey}`;
}

/** The generator's caches, and how their lookups are counted. */
function createCaches(cacheBytes: number, metrics: ServerMetrics) {
  return {
    // Half for loaded commits, half for gzipped replies: the full reply of a
    // large repo must fit, or every reconcile would render it again.
    models: createSizedCache<Model>(cacheBytes / 2, (m) => m.bytes),
    replies: createSizedCache<Reply>(cacheBytes / 2, (r) => r.bytes),
    // Whole rendered models are large (~10 KiB per Application): at most two
    // (a preview's base and head), and only for a minute after their last use.
    platforms: new LRUCache<string, RenderedPlatform>({ max: 2, ttl: 60_000, ttlAutopurge: true, updateAgeOnGet: true }),
    countLookup: (cache: string) => (result: string) => metrics.cache.inc({ cache, result }),
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
  const requestTimeoutMs = options.requestTimeoutMs ?? 25_000;
  const sources = createSourceRegistry({ ...options, cwd, cacheDir: options.cacheDir ?? path.join(os.tmpdir(), 'gitops-k8s-cache') }, metrics);
  const { models, replies, platforms, countLookup } = createCaches(options.cacheBytes ?? 256 * 1024 * 1024, metrics);
  const cachedModel = createCachedCoalescer<Model>(models, countLookup('model'));
  const cachedPlatform = createCachedCoalescer<RenderedPlatform>(platforms, countLookup('platform'));
  const cachedReply = createCachedCoalescer<Reply>(replies, countLookup('reply'));
  const guard = createDropGuard(options.maxDrop);
  let ready = false;
  let warming: Promise<void> | undefined;
  // Stops render workers when the server closes.
  const closing = new AbortController();
  const isAllowed = (repoURL: string): boolean => matchesAllowlist(repoURL, allow, cwd);
  const targetScope = { cwd, defaultRepo, isAllowed, sourceFor: sources.sourceFor };
  // What rendering learns of the parses (layers, template analyses, shared parts), weak on them: kept as long as they are.
  const renderCache = createRenderCache();
  const loadScope: LoadScope = {
    defaultRepo,
    localRepoURL: options.localRepoURL,
    argocdNamespace: options.argocdNamespace,
    // A new commit changes a few files: the others' parses are taken from here (keyed by blob id, so shared by every repo and branch).
    parseCache: createParseCache({ maxBytes: options.parseCacheBytes, onLookup: (hit) => countLookup('parse')(hit ? 'hit' : 'miss') }),
    renderWorker: options.renderWorker !== false,
    closing: closing.signal,
  };

  const buildModel = async (target: Target, signal: AbortSignal): Promise<Model> => {
    // Before building, so that one commit per branch is in memory.
    freeOlderCommits(target.keys, [models, replies] as LRUCache<string, object>[]);
    const end = metrics.buildDuration.startTimer();
    // A repo the status page or a preview loaded a moment ago is reused.
    const repo = platforms.get(target.keys.model)?.repo ?? (await loadTarget(target, loadScope, signal));
    // Without a request `path` the platform repo's own gitops.yaml `path` places it, as it does for the spec's path sources.
    const render = renderOptionsOf(target);
    const sets = prepareSets(repo, resolvePathPrefix({ given: render.pathPrefix, settings: repo.settings.path }), { render, cache: renderCache });
    end();
    const bytes = repo.namespaces.reduce((n, ns) => n + ns.apps.length, 0) * REPO_BYTES_PER_APP;
    return { keys: target.keys, commit: target.commit, sets, bytes };
  };

  const loadModel = async (params: TargetParams, signal: AbortSignal): Promise<Model> => {
    const target = await resolveTarget(params, targetScope, signal);
    return cachedModel(target.keys.model, () => buildModel(target, signal));
  };

  // The rendered model, for the rarer callers that need it whole (status
  // page, previews): rendered on demand, kept briefly in a small cache of its own.
  const loadPlatform = async (params: TargetParams, signal: AbortSignal): Promise<{ target: Target; platform: RenderedPlatform }> => {
    const target = await resolveTarget(params, targetScope, signal);
    const platform = await cachedPlatform(target.keys.model, async () =>
      renderModel(await loadTarget(target, loadScope, signal), renderOptionsOf(target), renderCache),
    );
    return { target, platform };
  };

  const getPlatform: GeneratorContext['getPlatform'] = async (params) => {
    const { target, platform } = await withTimeout((signal) => loadPlatform(params, signal), requestTimeoutMs, 'reading the platform repo');
    if (!params.repoURL) ready = true;
    return { repoURL: displayURL(target.repoURL), commit: target.commit, platform };
  };

  const getReply = async (body: GetParamsBody): Promise<Reply> => {
    const parameters = body.input?.parameters ?? {};
    // Checked before anything is fetched; normalised, so that spellings of one selection share a cache entry.
    const selection = selectionOf(parameters);
    const work = async (signal: AbortSignal): Promise<Reply> => {
      const model = await loadModel(parameters, signal);
      return cachedReply(model.keys.reply(selection.key), () => {
        const filters = filtersOfSelection(selection, (wanted) => clusterNamesOf(wanted, model.sets.clusters));
        // Renders what it selects, a (cluster, folder) pair at a time, straight into gzip.
        return buildReply((sink) => writeReply(model.sets, filters, sink), model.commit);
      });
    };
    const reply = await withTimeout(work, requestTimeoutMs, 'answering getparams');
    guard(guardKeyOf(body, selection.key), reply.count);
    if (!parameters.repoURL) ready = true;
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
    getPlatform,
    getReply,
    invalidate: sources.invalidate,
    isAllowed,
    isReady: () => ready,
    warm,
    close() {
      closing.abort(createError('GK_NOT_READY', 'the server is shutting down'));
      sources.close();
      models.clear();
      replies.clear();
      platforms.clear();
    },
  };
}
