/**
 * The real binaries gitops-k8s drives (helm, kustomize, kubectl), found the way
 * a platform engineer expects: an environment variable naming the binary wins,
 * else the PATH. Never a re-implementation: Argo CD's repo-server runs these
 * same tools, so what they print is what Argo CD would deploy.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { createError, type GitopsError } from '../core/errors.js';

export type ToolName = 'helm' | 'kustomize' | 'kubectl';

const ENV_OF: Record<ToolName, string> = { helm: 'GITOPS_K8S_HELM', kustomize: 'GITOPS_K8S_KUSTOMIZE', kubectl: 'GITOPS_K8S_KUBECTL' };
const INSTALL_HINT: Record<ToolName, string> = {
  helm: 'install Helm (https://helm.sh/docs/intro/install/) or set GITOPS_K8S_HELM to its path',
  kustomize: 'install kustomize (https://kubectl.docs.kubernetes.io/installation/kustomize/), or kubectl, or set GITOPS_K8S_KUSTOMIZE',
  kubectl: 'install kubectl (https://kubernetes.io/docs/tasks/tools/) or set GITOPS_K8S_KUBECTL to its path',
};

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The path of `name`, or undefined: `$GITOPS_K8S_<NAME>` first, then each PATH entry. */
export function locateTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const named = env[ENV_OF[name]];
  if (named) return named;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** Like {@link locateTool}, but a missing tool is a GK_TOOL_MISSING error saying how to install it. */
export function requireTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  const found = locateTool(name, env);
  if (found === undefined) throw createError('GK_TOOL_MISSING', `${name} is not on the PATH: ${INSTALL_HINT[name]}`);
  return found;
}

export interface RunToolOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Killed (SIGKILL) after this long: a chart can loop. Default 120 s. */
  timeoutMs?: number;
  /** stdout past this is refused and the process killed. Default 256 MiB. */
  maxOutputBytes?: number;
  signal?: AbortSignal;
  /** What the command is about, for messages (`helm template of observe/es on do-ams3`). */
  what?: string;
}

/** Runs a tool to completion; any failure is a GitopsError naming `what`, with the tool's last stderr lines. */
export function runTool(file: string, args: readonly string[], options: RunToolOptions = {}): Promise<{ stdout: string; stderr: string }> {
  const { timeoutMs = 120_000, maxOutputBytes = 256 * 1024 * 1024, what = `${path.basename(file)} ${args[0] ?? ''}`.trim() } = options;
  return new Promise((resolve, reject) => {
    options.signal?.throwIfAborted();
    const child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let failure: GitopsError | undefined;
    const stop = (e: GitopsError) => {
      failure ??= e;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop(createError('GK_TIMEOUT', `${what} took longer than ${timeoutMs} ms and was stopped`)), timeoutMs);
    const onAbort = () => stop(createError('GK_TIMEOUT', `${what} was cancelled`));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes > maxOutputBytes) stop(createError('GK_TOOL_FAILED', `${what} printed more than ${maxOutputBytes} bytes`));
      else out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      if (err.reduce((n, x) => n + x.length, 0) < 64 * 1024) err.push(b);
    });
    child.on('error', (error) => stop(createError('GK_TOOL_MISSING', `${what}: cannot run ${file}: ${(error as Error).message}`, {}, { cause: error })));
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const stderr = Buffer.concat(err).toString('utf8');
      if (failure) return reject(failure);
      if (code !== 0) {
        const detail = stderr.trim().split('\n').slice(-5).join('\n') || (sig ? `killed by ${sig}` : `exit ${code}`);
        return reject(createError('GK_TOOL_FAILED', `${what} failed: ${detail}`));
      }
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}
