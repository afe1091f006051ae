import { GitopsError } from '../errors.js';
import type { Settings } from '../model.js';
import { defaultTemplateLimits, templateLimitCeiling, type TemplateLimits } from '../template/template.js';
import type { YamlFile } from '../yaml/parse-yaml.js';
import { normalizeRepoPath } from '../../sources/repo-files.js';
import type { RepoReader } from './repo-reader.js';

// What gitops.yaml may raise its limits to: a repo must not lift the guard against itself without end.
const LIMIT_CEILING = { maxFileBytes: 64 * 1024 * 1024, maxFiles: 500_000 };

type SettingsFile = Partial<Settings> & { limits?: { maxFileBytes?: number; maxFiles?: number } & Partial<TemplateLimits> };

/** What the load is told when gitops.yaml does not say (CMP, server). */
export interface SettingsFallback {
  repoURL?: string;
  targetRevision?: string;
  argocdNamespace?: string;
}

/**
 * Reads gitops.yaml (or gitops.yml) over the defaults. Its limits apply to
 * every file the reader reads after it.
 */
export function readSettings(reader: RepoReader, fallback: SettingsFallback): Settings {
  const settings: Settings = {
    targetRevision: fallback.targetRevision ?? 'HEAD',
    argocdNamespace: fallback.argocdNamespace ?? 'argocd',
    repoURL: fallback.repoURL,
    naming: { application: '{{namespace}}-{{app}}-{{cluster.name}}', project: '{{namespace}}' },
    vars: {},
    defaults: {},
    templateLimits: defaultTemplateLimits,
  };
  const name = findSettingsFile(reader);
  if (!name) return settings;
  const yaml = reader.readYaml(name);
  const data = yaml && reader.checkMap(yaml, 'settings', 'gitops.yaml');
  if (!yaml || !data) return settings;
  const d = data as SettingsFile;
  settings.templateLimits = templateLimitsOf(d, settings.templateLimits);
  reader.applyLimits({
    maxFileBytes: d.limits?.maxFileBytes === undefined ? undefined : Math.min(d.limits.maxFileBytes, LIMIT_CEILING.maxFileBytes),
    maxFiles: d.limits?.maxFiles === undefined ? undefined : Math.min(d.limits.maxFiles, LIMIT_CEILING.maxFiles),
  });
  settings.yaml = yaml;
  settings.repoURL = d.repoURL ?? settings.repoURL;
  settings.targetRevision = d.targetRevision ?? settings.targetRevision;
  if (d.path !== undefined) {
    const normal = normalizeSettingsPath(reader, d.path, yaml);
    if (normal !== undefined) settings.path = normal === '.' ? undefined : normal;
  }
  settings.argocdNamespace = d.argocdNamespace ?? settings.argocdNamespace;
  settings.argocdURL = d.argocdURL;
  settings.naming = { ...settings.naming, ...(d.naming ?? {}) };
  settings.externalProjects = d.externalProjects;
  settings.vars = d.vars ?? {};
  settings.defaults = d.defaults ?? {};
  settings.rollout = d.rollout;
  return settings;
}

function findSettingsFile(reader: RepoReader): string | undefined {
  const kindOf = (file: string): 'file' | 'dir' | undefined => reader.problems.capture(() => reader.repo.kind(file));
  if (kindOf('gitops.yaml') === 'file') return 'gitops.yaml';
  return kindOf('gitops.yml') === 'file' ? 'gitops.yml' : undefined;
}

function templateLimitsOf(d: SettingsFile, limits: TemplateLimits): TemplateLimits {
  let out = limits;
  for (const key of Object.keys(templateLimitCeiling) as (keyof TemplateLimits)[]) {
    const wanted = d.limits?.[key];
    if (wanted !== undefined) out = { ...out, [key]: Math.min(wanted, templateLimitCeiling[key]) };
  }
  return out;
}

/** `path:` of gitops.yaml, normalized, or undefined with its problem reported. */
function normalizeSettingsPath(reader: RepoReader, path: string, yaml: YamlFile): string | undefined {
  try {
    return normalizeRepoPath(path, { file: yaml.file, field: 'path' });
  } catch (error) {
    if (!(error instanceof GitopsError)) throw error;
    reader.problems.push(...error.problems.map((problem) => ({ ...problem, line: yaml.lineOf(['path']) })));
    return undefined;
  }
}
