import type { Command } from 'commander';
import os from 'node:os';
import path from 'node:path';
import { collect, EXIT_INVALID, EXIT_OK, splitList, type CliIO } from '../cli-io.js';
import { defineCommand } from '../define-command.js';
import { createError } from '../../core/errors.js';
import { resolveLocalPathPrefix } from '../git-prefix.js';
import { loadPlatformRepo } from '../../core/load/load-platform-repo.js';
import { checkManifests } from '../../manifests/check-manifests.js';
import { formatCheckJson, formatCheckText } from '../../manifests/format-check.js';
import { defaultCacheDir, renderManifests } from '../../manifests/render-manifests.js';
import { parseRepoMap } from '../../manifests/repo-map.js';
import { renderModel, selectOutput } from '../../core/render/render-platform.js';
import type { RenderedApp } from '../../core/render/render-applications.js';
import { openLocalRepo } from '../../sources/repo-files.js';
import { formatEnvironmentHelp, RENDERING_VARIABLES } from './environment-help.js';
import { createOutputOption } from './output-option.js';

interface CheckOptions {
  cluster?: string[];
  namespace?: string[];
  app?: string[];
  output: string;
  repoUrl?: string;
  pathPrefix?: string;
  repoMap?: string[];
  cacheDir?: string;
  concurrency?: string;
  ociPlainHttp?: boolean;
}

/** `--app` takes `namespace/app` or a bare app name (in any namespace). */
function matchesApp(wanted: readonly string[], r: RenderedApp): boolean {
  return wanted.length === 0 || wanted.some((w) => w === r.app.name || w === `${r.app.namespace}/${r.app.name}`);
}

export function registerCheck(program: Command, io: CliIO): void {
  const command = program
    .command('check')
    .description(
      'render what every Application deploys (helm, kustomize, directories) and check it against its AppProject, other Applications, ' +
        "the cluster's Kubernetes version and CRDs (exit 0 clean, 1 problems, 2 usage)",
    )
    .argument('[dir]', 'the platform repo', '.')
    .option('-c, --cluster <name>', 'only these clusters (repeat or comma-separate)', collect)
    .option('-n, --namespace <ns>', 'only the apps of these namespace folders (repeat or comma-separate)', collect)
    .option('-a, --app <app>', 'only these apps, as namespace/app or app (repeat or comma-separate)', collect)
    .addOption(createOutputOption(['text', 'json'], 'text'))
    .option('--repo-url <url>', 'URL of the platform repo, when gitops.yaml has no repoURL')
    .option('--path-prefix <dir>', 'where the platform repo sits in its Git repository')
    .option(
      '--repo-map <from=to>',
      'fetch repoURLs starting with FROM from TO instead (a mirror); repeatable, also GITOPS_K8S_REPO_MAP (comma-separated)',
      collect,
    )
    .option('--cache-dir <dir>', 'where charts and Git checkouts are kept (default $GITOPS_K8S_CACHE_DIR or ~/.cache/gitops-k8s)')
    .option('--concurrency <n>', 'most helm/kustomize runs at once (default: the number of CPUs)')
    .option('--oci-plain-http', 'pull oci:// charts over plain HTTP (also GITOPS_K8S_OCI_PLAIN_HTTP=true)')
    .addHelpText('after', formatEnvironmentHelp(RENDERING_VARIABLES));
  defineCommand(io, {
    command,
    run: async (dir: string, opts: CheckOptions) => {
      const concurrency = opts.concurrency === undefined ? Math.max(1, os.availableParallelism()) : Number(opts.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1)
        throw createError('GK_USAGE', `--concurrency must be a positive integer (got ${JSON.stringify(opts.concurrency)})`);
      const repoMap = parseRepoMap([...splitList(io.env.GITOPS_K8S_REPO_MAP), ...(opts.repoMap ?? [])]);
      const root = path.resolve(io.cwd, dir);
      const repo = loadPlatformRepo(openLocalRepo(root), { repoURL: opts.repoUrl });
      const pathPrefix = resolveLocalPathPrefix(root, repo.settings.path, opts.pathPrefix);
      const platform = renderModel(repo, { pathPrefix });
      // Every app of the clusters checked is rendered: whether a CRD is there, or an object is
      // managed twice, depends on the apps left out by --namespace and --app too.
      const { apps: onClusters } = selectOutput(platform, { clusters: splitList(opts.cluster) });
      const namespaces = splitList(opts.namespace);
      const wanted = splitList(opts.app);
      const selected = (r: RenderedApp): boolean => (namespaces.length === 0 || namespaces.includes(r.namespace.name)) && matchesApp(wanted, r);
      const chosen = onClusters.filter(selected);
      if (chosen.length === 0) throw createError('GK_USAGE', 'the selection (--cluster, --namespace, --app) matches no Application');
      const rendered = await renderManifests(repo, onClusters, {
        platformDir: root,
        pathPrefix,
        cacheDir: opts.cacheDir ? path.resolve(io.cwd, opts.cacheDir) : defaultCacheDir(io.env),
        repoMap,
        env: io.env,
        concurrency,
        ociPlainHttp: opts.ociPlainHttp === true || io.env.GITOPS_K8S_OCI_PLAIN_HTTP === 'true',
      });
      const report = checkManifests(repo, platform.projects, rendered.apps, selected);
      const summary = {
        applications: chosen.length,
        clusters: new Set(chosen.map((r) => r.cluster.name)).size,
        resources: rendered.apps.filter((a) => selected(a.rendered)).reduce((n, a) => n + a.objects.length, 0),
        renders: rendered.stats,
      };
      io.stdout(opts.output === 'json' ? formatCheckJson(report, summary) : formatCheckText(report, summary));
      return report.findings.length === 0 ? EXIT_OK : EXIT_INVALID;
    },
  });
}
