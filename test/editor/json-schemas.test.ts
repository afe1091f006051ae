import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';
import { EDITOR_SCHEMA_KINDS, schemaFileName } from '../../src/core/schema/editor-schemas.js';
import { appSchema, clusterSchema, environmentSchema, namespaceSchema, providerSchema, settingsSchema } from '../../src/core/schema/schemas.js';
import { projectRoot as root } from '../helpers/project-root.js';

const schemaDir = path.join(root, 'schemas');
const readSchema = (file: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8')) as Record<string, unknown>;

t.setTimeout(300_000);

t.test('npm run build writes one schema per file kind, each the very schema the CLI validates with', async (t) => {
  const cli: Record<string, object> = {
    gitops: settingsSchema,
    cluster: clusterSchema,
    provider: providerSchema,
    environment: environmentSchema,
    namespace: namespaceSchema,
    app: appSchema,
  };
  t.same([...EDITOR_SCHEMA_KINDS].sort(), Object.keys(cli).sort());
  for (const kind of EDITOR_SCHEMA_KINDS) {
    const { $schema, title, description, ...rest } = readSchema(schemaFileName(kind));
    t.equal($schema, 'http://json-schema.org/draft-07/schema#', kind);
    t.type(title, 'string', kind);
    t.type(description, 'string', kind);
    // JSON round trip: the file holds plain JSON of the TypeScript schema.
    t.strictSame(rest, JSON.parse(JSON.stringify(cli[kind])), `schemas/${schemaFileName(kind)} is src/core/schema/schemas.ts's ${kind} schema`);
  }
});

t.test('every key of every editor schema has a description, and every map but a provider refuses unknown keys', async (t) => {
  const missing: string[] = [];
  const open: string[] = [];
  const walk = (schema: unknown, at: string): void => {
    if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return;
    const s = schema as Record<string, unknown>;
    if (s.properties) {
      if (s.additionalProperties !== false && at !== 'provider') open.push(at);
      for (const [key, sub] of Object.entries(s.properties as Record<string, unknown>)) {
        if (typeof (sub as { description?: unknown }).description !== 'string') missing.push(`${at}.${key}`);
        walk(sub, `${at}.${key}`);
      }
    }
    for (const k of ['additionalProperties', 'items', 'not', 'propertyNames'] as const) walk(s[k], `${at}${k === 'items' ? '[]' : `{${k}}`}`);
    if (Array.isArray(s.anyOf)) for (const [i, branch] of s.anyOf.entries()) walk(branch, `${at}|${i}`);
  };
  for (const kind of EDITOR_SCHEMA_KINDS) walk(readSchema(schemaFileName(kind)), kind);
  t.same(missing, [], 'keys without a description');
  t.same(open, [], 'maps that accept unknown keys');
  const cluster = readSchema('cluster.schema.json') as { properties: { provider: { examples: string[] } } };
  t.same(cluster.properties.provider.examples, ['digitalocean', 'eks', 'gke', 'aks', 'kind', 'generic']);
});

interface Diagnostic {
  message: string;
  range: { start: { line: number } };
}

t.test('yaml-language-server flags a misspelt key on its line and nothing in a valid app file', async (t) => {
  const requireHere = createRequire(import.meta.url);
  const packageFile = requireHere.resolve('yaml-language-server/package.json');
  const version = (JSON.parse(readFileSync(packageFile, 'utf8')) as { version: string }).version;
  t.match(version, /^1\./, 'the 1.x line, which runs on Node 20');
  const server = spawn(process.execPath, [path.join(path.dirname(packageFile), 'bin/yaml-language-server'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => {
    server.kill();
  });
  const connection = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  const published = new Map<string, (diagnostics: Diagnostic[]) => void>();
  connection.onNotification('textDocument/publishDiagnostics', (params: { uri: string; diagnostics: Diagnostic[] }) => {
    // The first report may come before the schema is loaded: wait for the one that settles.
    published.get(params.uri)?.(params.diagnostics);
  });
  connection.onRequest('workspace/configuration', (params: { items: unknown[] }) =>
    params.items.map(() => ({ validate: true, schemaStore: { enable: false } })),
  );
  connection.listen();
  t.teardown(() => connection.dispose());
  await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  connection.sendNotification('initialized', {});
  connection.sendNotification('workspace/didChangeConfiguration', { settings: { yaml: { validate: true, schemaStore: { enable: false } } } });

  // A local schema: no network.
  const modeline = `# yaml-language-server: $schema=${pathToFileURL(path.join(schemaDir, 'app.schema.json')).href}`;
  const open = (name: string, text: string, settled: (d: Diagnostic[]) => boolean): Promise<Diagnostic[]> => {
    const uri = pathToFileURL(path.join(root, 'test/editor', name)).href;
    const result = new Promise<Diagnostic[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${name}`)), 60_000);
      published.set(uri, (diagnostics) => {
        if (!settled(diagnostics)) return;
        clearTimeout(timer);
        resolve(diagnostics);
      });
    });
    connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
    return result;
  };

  const misspelt = await open(
    'misspelt.yaml',
    `${modeline}\nrepoURL: https://charts.example.com\nchart: web\nversion: 1.2.3\nsyncPolcy:\n  automated: null\n`,
    (d) => d.length > 0,
  );
  t.equal(misspelt.length, 1, JSON.stringify(misspelt));
  t.equal(misspelt[0]!.range.start.line, 4, 'on the line of syncPolcy (0-based)');
  t.match(misspelt[0]!.message, /syncPolcy/);

  // Once the schema has failed one file it is loaded: the next report is the settled one.
  const valid = await open(
    'valid.yaml',
    `${modeline}\nrepoURL: https://charts.example.com\nchart: web\nversion: 1.2.3\nclusters: { providers: [eks] }\n` +
      'syncPolicy:\n  automated: null\n  syncOptions: [ServerSideApply=true]\noverrides:\n  providers:\n    eks: { values: { replicas: 2 } }\n',
    () => true,
  );
  t.same(valid, []);
});
