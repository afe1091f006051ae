import { lstatSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatModeline, type EditorSchemaKind } from '../core/schema/editor-schemas.js';
import { inspectPlatformRepo } from '../core/load/load-platform-repo.js';
import { openLocalRepo } from '../sources/repo-files.js';

/** A file of a platform repo and the editor schema it takes. */
export interface SchemaTarget {
  /** Repo-relative path. */
  file: string;
  kind: EditorSchemaKind;
}

/**
 * The files of a local platform repo that have an editor schema, as the
 * loader finds them: gitops.yaml, clusters/, providers/, environments/,
 * namespace.yaml and app definitions. Full Application files, values files and manifests have
 * none. A file the loader could not read (bad YAML) is left out.
 */
export function listSchemaTargets(root: string): SchemaTarget[] {
  const { platform } = inspectPlatformRepo(openLocalRepo(root));
  const targets: SchemaTarget[] = [];
  const add = (file: string | undefined, kind: EditorSchemaKind): void => {
    if (file !== undefined) targets.push({ file, kind });
  };
  add(platform.settings.yaml?.file, 'gitops');
  for (const provider of platform.providers.values()) add(provider.yaml?.file, 'provider');
  for (const environment of platform.environments.values()) add(environment.yaml?.file, 'environment');
  if (!platform.implicitCluster) for (const cluster of platform.clusters) add(cluster.yaml?.file, 'cluster');
  for (const folder of platform.namespaces) {
    add(folder.yaml?.file, 'namespace');
    for (const app of folder.apps) if (app.kind === 'spec') add(app.yaml?.file, 'app');
  }
  return targets.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

const MODELINE = /^#\s*yaml-language-server:\s*\$schema=.*$/m;

/** The text with its modeline set to `modeline`: the existing one replaced, else one added as the first line. */
function setModeline(text: string, modeline: string): string {
  if (MODELINE.test(text)) return text.replace(MODELINE, modeline);
  return `${modeline}${text.includes('\r\n') ? '\r\n' : '\n'}${text}`;
}

/**
 * Points every file of {@link listSchemaTargets} at its schema under `base`
 * (adds or updates the modeline) and returns the files it changed.
 */
export function writeModelines(root: string, base: string): string[] {
  const changed: string[] = [];
  for (const { file, kind } of listSchemaTargets(root)) {
    const abs = path.join(root, ...file.split('/'));
    // The loader reads through symlinks that stay inside the repo; writing through one would change its target instead.
    if (lstatSync(abs).isSymbolicLink()) continue;
    const text = readFileSync(abs, 'utf8');
    const updated = setModeline(text, formatModeline(kind, base));
    if (updated === text) continue;
    writeFileSync(abs, updated);
    changed.push(file);
  }
  return changed;
}
