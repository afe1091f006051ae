import { type Command, Option } from 'commander';
import { collect, EXIT_OK, splitList, type CliIO } from '../cli-io.js';
import { defineCommand } from '../define-command.js';
import { createError } from '../../core/errors.js';
import { formatObjectChunks, type OutputFormat } from '../format-output.js';
import { objectsOfKinds, RENDER_KINDS, type RenderKinds } from '../../core/render/output-kinds.js';
import { resolveLocalPathPrefix } from '../git-prefix.js';
import { loadPlatformRepo } from '../../core/load/load-platform-repo.js';
import { renderModel, selectOutput, type RenderedPlatform } from '../../core/render/render-platform.js';
import { APPLICATIONSET_HEADER, buildApplicationSet } from '../../core/render/render-applicationset.js';
import { openLocalRepo } from '../../sources/repo-files.js';
import path from 'node:path';
import { formatEnvironmentHelp } from './environment-help.js';
import { createOutputOption } from './output-option.js';

export function registerRender(program: Command, io: CliIO): void {
  const command = program
    .command('render')
    .description('print the AppProjects and Applications of a platform repo')
    .argument('[dir]', 'the platform repo', '.')
    .option('-c, --cluster <name>', 'only these clusters (repeat or comma-separate)', collect)
    .option('-n, --namespace <ns>', 'only these namespace folders (repeat or comma-separate)', collect)
    .addOption(createOutputOption(['yaml', 'json'], 'yaml'))
    .addOption(
      new Option(
        '--only <kinds>',
        'what to print: AppProjects and Applications (all), only the one kind, or the ApplicationSet that generates the Applications',
      )
        .choices(RENDER_KINDS)
        .default('all'),
    )
    .option('--repo-url <url>', 'URL of the platform repo, when gitops.yaml has no repoURL')
    .option('--revision <rev>', 'revision of the platform repo, when gitops.yaml has no targetRevision')
    .option('--path-prefix <dir>', 'where the platform repo sits in its Git repository (path sources carry it, as under the CMP)')
    .addHelpText('after', formatEnvironmentHelp([]));
  defineCommand(io, {
    command,
    run: (
      dir: string,
      opts: { cluster?: string[]; namespace?: string[]; output: string; only: RenderKinds; repoUrl?: string; revision?: string; pathPrefix?: string },
    ) => {
      const { only } = opts;
      const root = path.resolve(io.cwd, dir);
      const repo = loadPlatformRepo(openLocalRepo(root), { repoURL: opts.repoUrl, targetRevision: opts.revision });
      const pathPrefix = resolveLocalPathPrefix(root, repo.settings.path, opts.pathPrefix);
      const platform = renderModel(repo, { pathPrefix });
      if (only === 'applicationset') {
        if (opts.cluster?.length || opts.namespace?.length)
          throw createError('GK_USAGE', '--only applicationset covers the whole repo; leave out --cluster and --namespace');
        const text = formatObjectChunks([applicationSetOf(platform, pathPrefix)], opts.output as OutputFormat).join('');
        io.stdout(opts.output === 'yaml' ? `${APPLICATIONSET_HEADER}${text}` : text);
        return EXIT_OK;
      }
      const selection = selectOutput(platform, { clusters: splitList(opts.cluster), namespaces: splitList(opts.namespace) });
      // Every chunk is made before the first is written: stdout is whole or empty.
      for (const chunk of formatObjectChunks(objectsOfKinds(selection, only), opts.output as OutputFormat)) io.stdout(chunk);
      return EXIT_OK;
    },
  });
}

function applicationSetOf(platform: RenderedPlatform, pathPrefix: string): Record<string, unknown> {
  const { settings } = platform.repo;
  if (!settings.repoURL) throw createError('GK_USAGE', 'the ApplicationSet names the platform repo: set repoURL in gitops.yaml or pass --repo-url');
  return buildApplicationSet(platform.repo, platform.rollout ?? [], {
    repoURL: settings.repoURL,
    revision: settings.targetRevision,
    path: pathPrefix,
  });
}
