import type { Command } from 'commander';
import { EXIT_OK, reportError, type CliIO } from '../cli-io.js';
import { readCmpEnvironment } from '../cmp.js';
import { formatObjectChunks } from '../format-output.js';
import { objectsOfKinds } from '../output-kinds.js';
import { renderPlatform, selectOutput } from '../render-platform.js';
import { openLocalRepo } from '../repo-files.js';

export function registerGenerate(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('generate')
    .description("the Config Management Plugin command: renders the platform repo in the working directory from Argo CD's environment")
    .action(() => {
      try {
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
        setExit(EXIT_OK);
      } catch (error) {
        setExit(reportError(io, error));
      }
    });
}
