/**
 * The Kubernetes objects each generated Application deploys, rendered as
 * Argo CD's repo-server would: Helm charts (HTTP and OCI repositories),
 * kustomizations, plain directories, from the platform repo or another Git
 * repository. Every source that cannot be fetched or rendered is a problem
 * naming the app and the cluster, all thrown at once: nothing is checked on
 * a partial picture.
 */
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitopsError, isGitopsError, type Problem } from '../core/errors.js';
import type { Cluster, PlatformRepo } from '../core/model.js';
import type { RenderedApp } from '../core/render/render-applications.js';
import { displayURL, redact } from '../sources/redact.js';
import { requireTool } from '../tools/external-tool.js';
import { readDirectoryManifests, type DirectoryOptions } from './directory-manifests.js';
import { fetchChart } from './fetch-chart.js';
import { checkoutGitSource } from './git-checkout.js';
import { helmTemplate, type HelmSourceOptions } from './helm-template.js';
import type { KubeObject } from './kube-object.js';
import { kustomizeBuild } from './kustomize-build.js';
import { createLimiter, type Limiter } from './limit-concurrency.js';
import { createRenderCache, type RenderCache } from './render-cache.js';
import { findRepoCredential, loadRepoCredentials, type RepoCredentials } from './repo-credentials.js';
import { mapRepoURL, type RepoMapping } from './repo-map.js';
import { unprefixPath } from '../core/render/path-prefix.js';
import { resolveInside } from './resolve-inside.js';

export interface ManifestOptions {
  /** The local folder of the platform repo (the one holding gitops.yaml). */
  platformDir: string;
  /** Where that folder sits in its Git repository (`gitops.yaml` `path`); path sources under it are read from the folder. */
  pathPrefix?: string;
  /** Charts and Git checkouts, kept between runs. */
  cacheDir: string;
  repoMap: readonly RepoMapping[];
  env: NodeJS.ProcessEnv;
  /** Most helm/kustomize runs at once. */
  concurrency: number;
  /** Pull `oci://` charts over plain HTTP. */
  ociPlainHttp: boolean;
}

/** What one Application deploys. */
export interface AppManifests {
  rendered: RenderedApp;
  objects: readonly KubeObject[];
}

export interface ManifestRender {
  apps: AppManifests[];
  /** Renders run, and renders shared with an identical one (another cluster, the same chart and values). */
  stats: { runs: number; shared: number };
}

/** The default cache: `$GITOPS_K8S_CACHE_DIR`, else `$XDG_CACHE_HOME/gitops-k8s`, else ~/.cache/gitops-k8s. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  return env.GITOPS_K8S_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'gitops-k8s');
}

export interface Source {
  repoURL?: string;
  chart?: string;
  path?: string;
  targetRevision?: string;
  ref?: string;
  helm?: HelmSourceOptions;
  kustomize?: Record<string, unknown>;
  directory?: DirectoryOptions;
  plugin?: unknown;
}

interface RunContext {
  repo: PlatformRepo;
  options: ManifestOptions;
  cache: RenderCache;
  limit: Limiter;
  pulls: Map<string, Promise<string>>;
  checkouts: Map<string, Promise<string>>;
  helm: () => string;
  /** Argo CD repository Secrets from GITOPS_K8S_REPO_CREDENTIALS. */
  credentials: RepoCredentials;
}

export function sourcesOf(rendered: RenderedApp): Source[] {
  const spec = rendered.application.spec as { source?: Source; sources?: Source[] };
  if (Array.isArray(spec.sources)) return spec.sources;
  return spec.source ? [spec.source] : [];
}

function sameRepo(a: string, b: string): boolean {
  const norm = (u: string): string =>
    u
      .replace(/\/+$/, '')
      .replace(/\.git$/, '')
      .toLowerCase();
  return norm(a) === norm(b);
}

function platformRelative(ctx: RunContext, source: Source): string | undefined {
  return platformFolderOf(ctx.repo, ctx.options.pathPrefix, source);
}

/** The folder a path source reads inside the platform repo, relative to it; undefined for other sources. */
export function platformFolderOf(
  repo: PlatformRepo,
  pathPrefix: string | undefined,
  source: { repoURL?: string; path?: string; chart?: string },
): string | undefined {
  const url = repo.settings.repoURL;
  if (source.chart || !url || !source.repoURL || !sameRepo(url, source.repoURL)) return undefined;
  return unprefixPath(pathPrefix, source.path ?? '.');
}

/** The folder a path source is in: the platform folder or a checkout of its Git repository. */
async function sourceFolder(ctx: RunContext, source: Source, project: string): Promise<{ dir: string; key: string }> {
  const inPlatform = platformRelative(ctx, source);
  if (inPlatform !== undefined) {
    const dir = resolveInside(ctx.options.platformDir, inPlatform, 'path');
    return { dir, key: `platform:${dir}` };
  }
  const url = mapRepoURL(source.repoURL!, ctx.options.repoMap);
  const credential = findRepoCredential(ctx.credentials, url, 'git', project);
  const checkout = await checkoutGitSource(url, source.targetRevision || 'HEAD', {
    cacheDir: ctx.options.cacheDir,
    env: ctx.options.env,
    checkouts: ctx.checkouts,
    credential,
  });
  const dir = resolveInside(checkout, source.path ?? '.', 'path');
  return { dir, key: `git:${dir}` };
}

function isKustomization(dir: string): boolean {
  return ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].some((f) => existsSync(path.join(dir, f)));
}

/** The objects of one source of one Application. */
async function renderSource(ctx: RunContext, rendered: RenderedApp, source: Source, what: string): Promise<readonly KubeObject[]> {
  const destination = rendered.application.spec.destination as { namespace?: string };
  const namespace = destination.namespace ?? '';
  const cluster: Cluster = rendered.cluster;
  const project = String(rendered.application.spec.project ?? '');
  const helmRequest = (chartDir: string) => ({
    helm: ctx.helm(),
    chartDir,
    appName: rendered.application.metadata.name,
    namespace,
    kubeVersion: cluster.kubernetesVersion,
    apiVersions: cluster.apiVersions ?? [],
    options: source.helm ?? {},
    env: ctx.options.env,
    what,
  });
  // What decides the output: helm reads the release name, namespace and versions; kustomize and
  // directories only their options, so they are shared by every cluster of a Git commit.
  const helmKey = (base: string): string =>
    JSON.stringify([
      base,
      source.helm?.releaseName || rendered.application.metadata.name,
      namespace,
      cluster.kubernetesVersion,
      cluster.apiVersions,
      source.helm,
    ]);
  if (source.plugin !== undefined)
    throw new GitopsError({ code: 'GK_TOOL_FAILED', message: `${what}: config management plugin sources cannot be rendered by check` });
  if (source.chart) {
    const ref = { repoURL: mapRepoURL(source.repoURL ?? '', ctx.options.repoMap), chart: source.chart, version: source.targetRevision ?? '' };
    // Matched on the URL contacted (after --repo-map): a Secret's password goes to the host it names, no other.
    const credential = findRepoCredential(ctx.credentials, ref.repoURL, ref.repoURL.startsWith('oci://') ? 'oci' : 'helm', project);
    return ctx.cache.get(helmKey(`chart:${ref.repoURL}\u0000${ref.chart}\u0000${ref.version}`), () =>
      ctx.limit(async () => {
        const chartDir = await fetchChart(ref, {
          helm: ctx.helm(),
          cacheDir: ctx.options.cacheDir,
          env: ctx.options.env,
          plainHttp: ctx.options.ociPlainHttp,
          passCredentials: source.helm?.passCredentials === true,
          credential,
          credentials: ctx.credentials,
          what: `helm pull of chart ${source.chart} ${ref.version} from ${displayURL(source.repoURL ?? '')}`,
          pulls: ctx.pulls,
        });
        return helmTemplate(helmRequest(chartDir));
      }),
    );
  }
  const { dir, key } = await sourceFolder(ctx, source, project);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const revisionAt = `${displayURL(source.repoURL ?? '')} at ${source.targetRevision ?? 'HEAD'}`;
    throw new GitopsError({
      code: 'GK_NOT_FOUND',
      message: `${what}: path ${JSON.stringify(source.path ?? '.')} is not a folder of ${revisionAt}`,
    });
  }
  if (existsSync(path.join(dir, 'Chart.yaml'))) return ctx.cache.get(helmKey(key), () => ctx.limit(() => helmTemplate(helmRequest(dir))));
  if (isKustomization(dir)) {
    return ctx.cache.get(JSON.stringify([key, source.kustomize]), () =>
      ctx.limit(() => kustomizeBuild({ sourceDir: dir, options: source.kustomize ?? {}, env: ctx.options.env, what })),
    );
  }
  return ctx.cache.get(JSON.stringify([key, source.directory]), async () => readDirectoryManifests(dir, source.directory ?? {}, what));
}

/** The top of the platform repo's Git work tree: the platform folder less its `pathPrefix`. */
function gitRootOf(platformDir: string, pathPrefix: string | undefined): string {
  const depth = (pathPrefix ?? '').split('/').filter((s) => s !== '' && s !== '.').length;
  return path.resolve(platformDir, ...Array<string>(depth).fill('..'));
}

/** Renders the manifests of `apps` (already narrowed by the caller). Throws once with every source that failed. */
export async function renderManifests(repo: PlatformRepo, apps: readonly RenderedApp[], options: ManifestOptions): Promise<ManifestRender> {
  let helm: string | undefined;
  const ctx: RunContext = {
    repo,
    options,
    cache: createRenderCache(),
    limit: createLimiter(Math.max(1, options.concurrency)),
    pulls: new Map(),
    checkouts: new Map(),
    helm: () => (helm ??= requireTool('helm', options.env)),
    // Never from the platform repo: a pull request must not be able to say where a password goes.
    credentials: loadRepoCredentials(options.env, [gitRootOf(options.platformDir, options.pathPrefix)]),
  };
  const problems: Problem[] = [];
  const results = await Promise.all(
    apps.map(async (rendered): Promise<AppManifests> => {
      const objects: KubeObject[] = [];
      const sources = sourcesOf(rendered);
      for (const [i, source] of sources.entries()) {
        // A source holding only `ref` serves value files to the others and deploys nothing itself.
        if (source.ref && !source.path && !source.chart) continue;
        const app = `${rendered.app.namespace}/${rendered.app.name}`;
        const what = `${app} on cluster ${rendered.cluster.name}${sources.length > 1 ? ` (source ${i + 1})` : ''}`;
        try {
          objects.push(...(await renderSource(ctx, rendered, source, what)));
        } catch (error) {
          problems.push(...problemsOf(error, rendered, what));
        }
      }
      return { rendered, objects };
    }),
  );
  if (problems.length > 0) throw new GitopsError(problems);
  return { apps: results, stats: ctx.cache.stats };
}

/** The problems of a failed render, on the app's file, each naming the app and cluster. */
function problemsOf(error: unknown, rendered: RenderedApp, what: string): Problem[] {
  const file = rendered.app.source;
  if (isGitopsError(error)) {
    return error.problems.map((p) => {
      const message = redact(p.message);
      return {
        code: p.code,
        file: p.code === 'GK_REPO_CREDENTIALS' && p.file ? p.file : file,
        ...(p.field ? { field: p.field } : {}),
        message: message.includes(what) ? message : `${what}: ${message}`,
      };
    });
  }
  const message = redact(error instanceof Error ? error.message : String(error));
  return [{ code: 'GK_TOOL_FAILED', file, message: `${what}: ${message}` }];
}
