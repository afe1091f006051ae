import { mkdirSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { defaultSchemaBase, formatModeline, type EditorSchemaKind } from '../core/schema/editor-schemas.js';
import { createError } from '../core/errors.js';

/** Options of {@link initPlatformRepo}. */
export interface InitOptions {
  /** URL of the Git repository the platform repo will live in. */
  repoURL?: string;
  /** Write into a folder that already has files. */
  force?: boolean;
  /** Where the modelines point: the folder or URL of the editor schemas (default: this release on unpkg). */
  schemaBase?: string;
}

// Which editor schema each starter file gets in its modeline.
const kindOf: Record<string, EditorSchemaKind> = {
  'gitops.yaml': 'gitops',
  'clusters/local.yaml': 'cluster',
  'apps/kube-system/metrics-server.yaml': 'app',
  'apps/kube-system/namespace.yaml': 'namespace',
  'apps/guestbook/guestbook.yaml': 'app',
};

function starterFiles(repoURL: string): Record<string, string> {
  return {
    'gitops.yaml': `# Repo-wide settings. See the gitops-k8s README for every key.
repoURL: ${repoURL}
targetRevision: HEAD
argocdNamespace: argocd
vars:
  owner: platform-team
`,
    'clusters/local.yaml': `# One file per cluster; the file name is the cluster's name.
provider: kind                       # digitalocean | eks | gke | aks | kind | generic
server: https://kubernetes.default.svc
labels:
  env: dev
vars:
  domain: local.example.com
`,
    'apps/kube-system/metrics-server.yaml': `repoURL: https://kubernetes-sigs.github.io/metrics-server/
chart: metrics-server
version: 3.12.2
values:
  args:
    - --kubelet-preferred-address-types={{provider.kubeletPreferredAddressTypes}}
overrides:
  providers:
    kind:
      values:
        args:
          - --kubelet-insecure-tls
          - --kubelet-preferred-address-types={{provider.kubeletPreferredAddressTypes}}
`,
    'apps/kube-system/namespace.yaml': `# Namespace metadata and AppProject rules for this folder.
project:
  clusterResourceWhitelist:
    - { group: "*", kind: "*" }
`,
    'apps/guestbook/guestbook.yaml': `repoURL: https://github.com/argoproj/argocd-example-apps.git
path: guestbook
targetRevision: 0d521c6e049889134f3122eb32d7ed342f43ca0d
`,
  };
}

/** Writes a small, valid platform repo to start from. Returns the files written. */
export function initPlatformRepo(dir: string, options: InitOptions = {}): string[] {
  if (existsSync(dir) && readdirSync(dir).length > 0 && !options.force) {
    throw createError('GK_USAGE', `${dir} is not empty; use --force to write into it`);
  }
  const files = starterFiles(options.repoURL ?? 'https://github.com/example/platform.git');
  const base = options.schemaBase ?? defaultSchemaBase();
  const written: string[] = [];
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    if (existsSync(abs)) continue;
    mkdirSync(path.dirname(abs), { recursive: true });
    // The modeline first: editors with yaml-language-server then check and complete every key.
    writeFileSync(abs, `${formatModeline(kindOf[rel]!, base)}\n${content}`);
    written.push(rel);
  }
  return written;
}
