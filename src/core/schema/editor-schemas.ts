import { readPackageVersion } from '../../package-version.js';
import { appSchema, clusterSchema, environmentSchema, namespaceSchema, providerSchema, settingsSchema } from './schemas.js';

/** The kinds of file a platform repo holds, each with a schema of its own. */
export const EDITOR_SCHEMA_KINDS = ['gitops', 'cluster', 'provider', 'environment', 'namespace', 'app'] as const;
export type EditorSchemaKind = (typeof EDITOR_SCHEMA_KINDS)[number];

const sources: Record<EditorSchemaKind, { schema: object; title: string; description: string }> = {
  gitops: { schema: settingsSchema, title: 'gitops-k8s gitops.yaml', description: 'Repo-wide settings and defaults of a gitops-k8s platform repo.' },
  cluster: { schema: clusterSchema, title: 'gitops-k8s cluster', description: 'clusters/<name>.yaml: one target cluster; the file name is its name.' },
  provider: {
    schema: providerSchema,
    title: 'gitops-k8s provider',
    description: 'providers/<name>.yaml: merged over the built-in preset of that name (or defines a new provider); the file name is its name.',
  },
  environment: {
    schema: environmentSchema,
    title: 'gitops-k8s environment',
    description: 'environments/<name>.yaml: app keys and vars for every cluster whose environment is <name>; the file name is its name.',
  },
  namespace: {
    schema: namespaceSchema,
    title: 'gitops-k8s namespace.yaml',
    description: 'apps/<namespace>/namespace.yaml: namespace metadata, AppProject rules and defaults for the folder.',
  },
  app: { schema: appSchema, title: 'gitops-k8s app', description: 'apps/<namespace>/<app>.yaml or apps/<namespace>/<app>/app.yaml: one app.' },
};

/** The file name of a kind's schema, under schemas/ in the package. */
export function schemaFileName(kind: EditorSchemaKind): string {
  return `${kind}.schema.json`;
}

/**
 * Where modelines point by default: the schema of this very release on
 * unpkg, a CDN serving every file of every npm release. A platform repo is
 * not a Node project (no node_modules to point into), and a versioned URL
 * never changes under a repo: `gitops-k8s schemas --write` moves it on.
 */
export function defaultSchemaBase(): string {
  return `https://unpkg.com/gitops-k8s@${readPackageVersion()}/schemas/`;
}

/** The `# yaml-language-server: $schema=...` line that points a file at its schema. */
export function formatModeline(kind: EditorSchemaKind, base: string = defaultSchemaBase()): string {
  return `# yaml-language-server: $schema=${base.endsWith('/') ? base : `${base}/`}${schemaFileName(kind)}`;
}

/** Each kind's JSON Schema document as written to schemas/: the CLI's schema with a title. */
export function editorSchemaFiles(): { kind: EditorSchemaKind; file: string; schema: object }[] {
  return EDITOR_SCHEMA_KINDS.map((kind) => {
    const { schema, title, description } = sources[kind];
    return { kind, file: schemaFileName(kind), schema: { $schema: 'http://json-schema.org/draft-07/schema#', title, description, ...schema } };
  });
}
