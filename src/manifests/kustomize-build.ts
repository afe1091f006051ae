/**
 * Kustomize sources, with Argo CD's `spec.source.kustomize` options applied
 * the way its repo-server does (it edits the kustomization; here a wrapper
 * kustomization on top of the source says the same), built by the real
 * `kustomize build` or `kubectl kustomize`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createError } from '../core/errors.js';
import { isPlainObject } from '../core/layering/merge.js';
import { locateTool, requireTool, runTool } from '../tools/external-tool.js';
import { parseManifests, type KubeObject } from './kube-object.js';
import { resolveInside } from './resolve-inside.js';

/** `kustomize build DIR`, or `kubectl kustomize DIR` when only kubectl is installed. */
function kustomizeCommand(env: NodeJS.ProcessEnv): { file: string; args: string[] } {
  const kustomize = locateTool('kustomize', env);
  if (kustomize) return { file: kustomize, args: ['build'] };
  try {
    return { file: requireTool('kubectl', env), args: ['kustomize'] };
  } catch {
    return { file: requireTool('kustomize', env), args: ['build'] };
  }
}

/** An Argo CD image override (`name=newName:tag`, `name:tag`, `name@digest`) as a kustomization `images` entry. */
function parseImageOverride(spec: string): Record<string, string> {
  const eq = spec.indexOf('=');
  const name = eq === -1 ? undefined : spec.slice(0, eq);
  const ref = eq === -1 ? spec : spec.slice(eq + 1);
  const at = ref.indexOf('@');
  const colon = ref.lastIndexOf(':');
  const tagAt = at === -1 && colon > ref.lastIndexOf('/') ? colon : -1;
  const image = at !== -1 ? ref.slice(0, at) : tagAt !== -1 ? ref.slice(0, tagAt) : ref;
  const entry: Record<string, string> = { name: name ?? image };
  if (name !== undefined && image !== name) entry.newName = image;
  if (at !== -1) entry.digest = ref.slice(at + 1);
  if (tagAt !== -1) entry.newTag = ref.slice(tagAt + 1);
  return entry;
}

/** The wrapper kustomization that applies Argo CD's options to `relativeSource`. */
function wrapperOf(relativeSource: string, options: Record<string, unknown>, sourceDir: string, wrapDir: string, what: string): Record<string, unknown> {
  const k: Record<string, unknown> = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [relativeSource] };
  const known = new Set([
    'namePrefix',
    'nameSuffix',
    'images',
    'commonLabels',
    'commonAnnotations',
    'namespace',
    'replicas',
    'patches',
    'components',
    'labelWithoutSelector',
    'forceCommonLabels',
    'forceCommonAnnotations',
    'version',
    'commonAnnotationsEnvsubst',
    'labelIncludeTemplates',
    'kubeVersion',
    'apiVersions',
    'ignoreMissingComponents',
  ]);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw createError('GK_INVALID_VALUE', `${what}: kustomize option ${key} is not one Argo CD knows`);
  }
  if (typeof options.namePrefix === 'string') k.namePrefix = options.namePrefix;
  if (typeof options.nameSuffix === 'string') k.nameSuffix = options.nameSuffix;
  if (typeof options.namespace === 'string') k.namespace = options.namespace;
  if (Array.isArray(options.images)) k.images = options.images.map((i) => parseImageOverride(String(i)));
  if (isPlainObject(options.commonLabels)) {
    const includeSelectors = options.labelWithoutSelector !== true;
    k.labels = [{ pairs: options.commonLabels, includeSelectors, ...(includeSelectors ? {} : { includeTemplates: options.labelIncludeTemplates === true }) }];
  }
  if (isPlainObject(options.commonAnnotations)) k.commonAnnotations = options.commonAnnotations;
  if (Array.isArray(options.replicas)) {
    k.replicas = options.replicas.map((r: { name?: unknown; count?: unknown }) => ({ name: String(r.name), count: Number(r.count) }));
  }
  if (Array.isArray(options.patches)) {
    k.patches = options.patches.map((p: Record<string, unknown>) => {
      if (p.path !== undefined)
        throw createError('GK_INVALID_VALUE', `${what}: kustomize.patches with a path are not supported by check; write the patch inline`);
      return p;
    });
  }
  if (Array.isArray(options.components)) {
    k.components = options.components.map((c) => path.relative(wrapDir, resolveInside(sourceDir, String(c), `${what}: kustomize component`)));
  }
  return k;
}

export interface KustomizeRequest {
  sourceDir: string;
  options: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  what: string;
}

/** The objects the kustomization in `sourceDir` builds, with Argo CD's options applied. */
export async function kustomizeBuild(request: KustomizeRequest): Promise<KubeObject[]> {
  const { file, args } = kustomizeCommand(request.env);
  const hasOptions = Object.keys(request.options).length > 0;
  if (!hasOptions) {
    const { stdout } = await runTool(file, [...args, request.sourceDir], { env: request.env, what: request.what });
    return parseManifests(stdout, request.what);
  }
  const wrapDir = mkdtempSync(path.join(os.tmpdir(), 'gitops-k8s-kustomize-'));
  try {
    const wrapper = wrapperOf(path.relative(wrapDir, request.sourceDir), request.options, request.sourceDir, wrapDir, request.what);
    writeFileSync(path.join(wrapDir, 'kustomization.yaml'), JSON.stringify(wrapper));
    const { stdout } = await runTool(file, [...args, wrapDir], { env: request.env, what: request.what });
    return parseManifests(stdout, request.what);
  } finally {
    rmSync(wrapDir, { recursive: true, force: true });
  }
}
