/** An environment variable a command reads, as its `--help` lists it. */
export interface EnvironmentVariable {
  name: string;
  what: string;
  /** What holds when it is unset. */
  default?: string;
}

/**
 * The "Environment variables" section of a command's `--help` (commander's
 * addHelpText('after', ...)): what a command reads from its environment is
 * as much its interface as its options, and `generate` takes nothing else.
 */
export function formatEnvironmentHelp(variables: readonly EnvironmentVariable[]): string {
  if (variables.length === 0) return '\nEnvironment variables: none\n';
  const width = Math.max(...variables.map((v) => v.name.length));
  const lines = variables.map((v) => `  ${v.name.padEnd(width)}  ${v.what}${v.default === undefined ? '' : ` (default: ${v.default})`}`);
  return `\nEnvironment variables:\n${lines.join('\n')}\n`;
}

/** What finds the tools gitops-k8s runs (src/tools/external-tool.ts). */
export const TOOL_VARIABLES: readonly EnvironmentVariable[] = [
  { name: 'GITOPS_K8S_HELM', what: 'the helm binary', default: 'helm on the PATH' },
  { name: 'GITOPS_K8S_KUSTOMIZE', what: 'the kustomize binary', default: 'kustomize, else kubectl kustomize, on the PATH' },
  { name: 'GITOPS_K8S_KUBECTL', what: 'the kubectl binary', default: 'kubectl on the PATH' },
];

/** What rendering the apps' manifests reads (`check`, `diff --manifests`): mirrors, the cache, credentials and tools. */
export const RENDERING_VARIABLES: readonly EnvironmentVariable[] = [
  { name: 'GITOPS_K8S_REPO_MAP', what: 'FROM=TO mirrors of repoURLs, comma-separated (with --repo-map where there is one)' },
  { name: 'GITOPS_K8S_CACHE_DIR', what: 'where charts and Git checkouts are kept', default: '$XDG_CACHE_HOME/gitops-k8s' },
  { name: 'XDG_CACHE_HOME', what: 'the cache folder above it', default: '~/.cache' },
  { name: 'GITOPS_K8S_OCI_PLAIN_HTTP', what: 'true: pull oci:// charts over plain HTTP', default: 'false' },
  {
    name: 'GITOPS_K8S_REPO_CREDENTIALS',
    what: 'a file or folder of Argo CD repository Secrets (kubectl get secret -o yaml): credentials of chart repositories, OCI registries and Git sources',
  },
  { name: 'GITOPS_K8S_GIT_USERNAME', what: 'HTTPS git user name for Git sources (with _PASSWORD or _PASSWORD_FILE)' },
  { name: 'GITOPS_K8S_SSH_KEY_FILE', what: 'SSH private key for ssh:// Git sources (with GITOPS_K8S_SSH_KNOWN_HOSTS_FILE)' },
  ...TOOL_VARIABLES,
];

/** What `status` and the server's status page read to ask Argo CD for sync and health. */
export const ARGOCD_API_VARIABLES: readonly EnvironmentVariable[] = [
  { name: 'ARGOCD_SERVER', what: "Argo CD's URL or host, for sync and health", default: 'unset: no Argo CD columns' },
  { name: 'ARGOCD_AUTH_TOKEN', what: 'a token of an account that may get applications' },
  { name: 'ARGOCD_AUTH_TOKEN_FILE', what: 'a file holding that token, instead' },
  { name: 'ARGOCD_INSECURE', what: 'true: accept a self-signed certificate', default: 'false' },
];
