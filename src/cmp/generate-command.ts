import type { Command } from 'commander';
import { EXIT_OK, type CliIO } from '../cli/cli-io.js';
import { defineCommand } from '../cli/define-command.js';
import { readCmpEnvironment } from './cmp-environment.js';
import { formatObjectChunks } from '../cli/format-output.js';
import { objectsOfKinds } from '../core/render/output-kinds.js';
import { renderPlatform, selectOutput } from '../core/render/render-platform.js';
import { openLocalRepo } from '../sources/repo-files.js';
import { formatEnvironmentHelp } from '../cli/commands/environment-help.js';

export function registerGenerate(program: Command, io: CliIO): void {
  const command = program
    .command('generate')
    .description("the Config Management Plugin command: renders the platform repo in the working directory from Argo CD's environment")
    .addHelpText(
      'after',
      formatEnvironmentHelp([
        { name: 'ARGOCD_APP_SOURCE_REPO_URL', what: "the platform repo's URL, when gitops.yaml has no repoURL" },
        { name: 'ARGOCD_APP_SOURCE_TARGET_REVISION', what: "the platform repo's revision, when gitops.yaml has no targetRevision", default: 'HEAD' },
        { name: 'ARGOCD_APP_SOURCE_PATH', what: 'where the platform repo sits in its Git repo; path sources carry it', default: 'the root' },
        { name: 'ARGOCD_APP_NAMESPACE', what: "the objects' namespace, when gitops.yaml has no argocdNamespace", default: 'argocd' },
        { name: 'ARGOCD_APP_PARAMETERS', what: 'plugin parameters (JSON): clusters, namespaces (lists), output (all, projects or applications)' },
        { name: 'ARGOCD_ENV_CLUSTER', what: 'only these clusters (comma list)', default: 'every cluster' },
        { name: 'ARGOCD_ENV_CLUSTERS', what: 'the same as ARGOCD_ENV_CLUSTER' },
        { name: 'ARGOCD_ENV_NAMESPACE', what: 'only these namespace folders (comma list)', default: 'every folder' },
        { name: 'ARGOCD_ENV_NAMESPACES', what: 'the same as ARGOCD_ENV_NAMESPACE' },
        { name: 'ARGOCD_ENV_OUTPUT', what: 'all, projects or applications', default: 'all' },
      ]),
    );
  defineCommand(io, {
    command,
    run: () => {
      const cmp = readCmpEnvironment(io.env);
      const platform = renderPlatform(openLocalRepo(io.cwd), {
        repoURL: cmp.repoURL,
        targetRevision: cmp.targetRevision,
        argocdNamespace: cmp.argocdNamespace,
        pathPrefix: cmp.pathPrefix,
      });
      const selection = selectOutput(platform, cmp.filters);
      // Written only after everything succeeded, every chunk made first: stdout is whole or empty.
      const objects = objectsOfKinds(selection, cmp.output);
      for (const chunk of formatObjectChunks(objects)) io.stdout(chunk);
      const applications = cmp.output === 'projects' ? 0 : selection.apps.length;
      io.stderr(`gitops-k8s: ${applications} Applications, ${objects.length - applications} AppProjects\n`);
      return EXIT_OK;
    },
  });
}
