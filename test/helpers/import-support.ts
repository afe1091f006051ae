import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli/cli.js';
import { projectRoot } from './project-root.js';
import { helmBinary } from './tools.js';

export const fixture = (name: string): string => path.join(projectRoot, 'test/fixtures', name);

/** Runs the CLI in this process with the real helm, returning what it printed. */
export async function runImportCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    env: { PATH: process.env.PATH, GITOPS_K8S_HELM: helmBinary(), ...env },
    cwd: process.cwd(),
  });
  return { status, stdout, stderr };
}

export const freshDir = (): string => path.join(mkdtempSync(path.join(tmpdir(), 'gk-import-')), 'out');
