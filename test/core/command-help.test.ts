import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../fixtures/core-support/support.js';
import { projectRoot as root } from '../helpers/project-root.js';

t.setTimeout(300_000);

/** The environment variables a source file reads (`env.NAME`, not assignments to one). */
function variablesRead(...files: string[]): string[] {
  const names = new Set<string>();
  for (const file of files) for (const m of readFileSync(path.join(root, file), 'utf8').matchAll(/\benv\.([A-Z][A-Z0-9_]+)\b(?!\s*=[^=])/g)) names.add(m[1]!);
  return [...names].sort();
}

function commandNames(): string[] {
  const help = runCli(['--help']).stdout;
  return [...help.split('Commands:')[1]!.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!).filter((name) => name !== 'help');
}

t.test("every command's --help has an Environment variables section", async (t) => {
  const names = commandNames();
  t.ok(names.length >= 10, names.join(' '));
  for (const name of names) t.match(runCli([name, '--help']).stdout, /\nEnvironment variables:/, name);
});

t.test('--help lists every variable the command reads, with its default', async (t) => {
  const reads: Record<string, string[]> = {
    generate: variablesRead('src/cmp/cmp-environment.ts'),
    status: variablesRead('src/integrations/argocd/argocd-client.ts'),
    bootstrap: variablesRead('src/cli/commands/bootstrap.ts'),
    check: variablesRead('src/cli/commands/check.ts', 'src/manifests/render-manifests.ts'),
    diff: variablesRead('src/cli/commands/diff.ts', 'src/manifests/render-manifests.ts'),
    serve: variablesRead(
      'src/cli/commands/serve.ts',
      'src/sources/credentials.ts',
      'src/server/routes/webhooks.ts',
      'src/integrations/github/github-client.ts',
      'src/integrations/gitlab/gitlab-client.ts',
      'src/integrations/argocd/argocd-client.ts',
    ),
  };
  t.ok(reads.generate!.includes('ARGOCD_APP_SOURCE_REPO_URL') && reads.generate!.length >= 10, `generate reads ${reads.generate!.join(', ')}`);
  for (const [name, variables] of Object.entries(reads)) {
    const help = runCli([name, '--help']).stdout.split('Environment variables:')[1] ?? '';
    for (const variable of variables) t.match(help, new RegExp(`^ {2}${variable} `, 'm'), `${name} --help lists ${variable}`);
  }
  t.match(runCli(['generate', '--help']).stdout, /^ {2}ARGOCD_ENV_OUTPUT +all, projects or applications \(default: all\)$/m);
  t.match(runCli(['render', '--help']).stdout, /\nEnvironment variables: none\n/);
});
