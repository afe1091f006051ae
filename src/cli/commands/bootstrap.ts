import { type Command, Option } from 'commander';
import { EXIT_OK, type CliIO } from '../cli-io.js';
import { defineCommand } from '../define-command.js';
import { formatEnvironmentHelp } from './environment-help.js';
import path from 'node:path';
import { ARGOCD_INSTALL_URL, ARGOCD_VERSION, BOOTSTRAP_PARTS, buildBootstrap, writeArgocdApp, type BootstrapPart } from '../../install/bootstrap.js';

interface BootstrapFlags {
  repo: string;
  revision: string;
  path: string;
  part: BootstrapPart;
  argocdInstall?: string;
  argocdApp?: string;
  argocdCluster: string;
}

export function registerBootstrap(program: Command, io: CliIO): void {
  const command = program
    .command('bootstrap')
    .description(
      `print the whole install (Argo CD ${ARGOCD_VERSION} + the gitops-k8s sidecar + a root Application for the platform repo) ` +
        'for kubectl apply --server-side -f -',
    )
    .requiredOption('--repo <url>', 'Git URL of the platform repository (no credentials in it)')
    .option('--revision <rev>', 'branch, tag or commit the root Application follows', 'HEAD')
    .option('--path <dir>', 'folder of the platform repo inside the Git repository', '.')
    .addOption(new Option('--part <part>', 'crds (apply first), install (after the CRDs are Established) or all').choices(BOOTSTRAP_PARTS).default('all'))
    .option('--argocd-install <file|url>', `Argo CD's install.yaml, for offline or mirrored installs (default ${ARGOCD_INSTALL_URL})`)
    .option('--argocd-app <dir>', 'instead: write the app folder (kustomization.yaml, app.yaml) that keeps Argo CD managing itself, sidecar included')
    .option('--argocd-cluster <name>', 'with --argocd-app: the cluster (clusters/<name>.yaml) Argo CD runs on', 'in-cluster')
    .addHelpText('after', formatEnvironmentHelp([{ name: 'KUBECTL', what: 'the kubectl that runs kustomize', default: 'kubectl on the PATH' }]));
  defineCommand(io, {
    command,
    run: async (flags: BootstrapFlags) => {
      if (flags.argocdApp !== undefined) {
        const written = writeArgocdApp(path.resolve(io.cwd, flags.argocdApp), { repoURL: flags.repo, cluster: flags.argocdCluster });
        for (const file of written) io.stderr(`wrote ${path.relative(io.cwd, file)}\n`);
        io.stderr('commit it to the platform repo: the root Application then keeps Argo CD and the sidecar in sync\n');
        return EXIT_OK;
      }
      const result = await buildBootstrap({
        repoURL: flags.repo,
        revision: flags.revision,
        path: flags.path,
        part: flags.part,
        argocdInstall: flags.argocdInstall,
        kubectl: io.env.KUBECTL || undefined,
        cwd: io.cwd,
      });
      io.stdout(result.text);
      io.stderr(`gitops-k8s: ${result.objects.length} objects (${flags.part}); the comment at the top says how to apply them\n`);
      return EXIT_OK;
    },
  });
}
