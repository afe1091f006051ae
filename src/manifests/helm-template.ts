/**
 * `helm template` with the arguments Argo CD's repo-server passes: release
 * name, namespace, Kubernetes and API versions, then value files, the
 * Application's values (over the files) and parameters (over both).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createError } from '../core/errors.js';
import { isPlainObject } from '../core/layering/merge.js';
import { runTool } from '../tools/external-tool.js';
import { parseManifests, type KubeObject } from './kube-object.js';
import { resolveInside } from './resolve-inside.js';

/** `spec.source.helm` of an Application, the fields that change what helm prints. */
export interface HelmSourceOptions {
  releaseName?: string;
  valueFiles?: string[];
  values?: string;
  valuesObject?: Record<string, unknown>;
  parameters?: { name: string; value: string; forceString?: boolean }[];
  fileParameters?: { name: string; path: string }[];
  skipCrds?: boolean;
  ignoreMissingValueFiles?: boolean;
  passCredentials?: boolean;
  namespace?: string;
  kubeVersion?: string;
  apiVersions?: string[];
}

export interface HelmTemplateRequest {
  helm: string;
  chartDir: string;
  /** The Application name: Argo CD's release name when `releaseName` is unset. */
  appName: string;
  namespace: string;
  kubeVersion?: string;
  apiVersions: readonly string[];
  options: HelmSourceOptions;
  env: NodeJS.ProcessEnv;
  what: string;
}

/** The objects `helm template` prints for this request. */
export async function helmTemplate(request: HelmTemplateRequest): Promise<KubeObject[]> {
  const { options: o } = request;
  const args = ['template', o.releaseName || request.appName, request.chartDir, '--namespace', o.namespace ?? request.namespace];
  const kubeVersion = o.kubeVersion ?? request.kubeVersion;
  if (kubeVersion) args.push('--kube-version', kubeVersion);
  for (const api of o.apiVersions ?? request.apiVersions) args.push('--api-versions', api);
  if (!o.skipCrds) args.push('--include-crds');
  for (const file of o.valueFiles ?? []) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) {
      throw createError('GK_TOOL_FAILED', `${request.what}: valueFiles entry ${JSON.stringify(file)} is a URL; only files of the chart or its source are read`);
    }
    const resolved = resolveInside(request.chartDir, file, `${request.what}: valueFiles entry`);
    if (o.ignoreMissingValueFiles && !existsSync(resolved)) continue;
    args.push('--values', resolved);
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'gitops-k8s-values-'));
  try {
    const values = isPlainObject(o.valuesObject) ? JSON.stringify(o.valuesObject) : o.values;
    if (values !== undefined && values !== '') {
      // JSON is YAML: the values reach helm exactly as the Application holds them.
      writeFileSync(path.join(tmp, 'values.yaml'), values);
      args.push('--values', path.join(tmp, 'values.yaml'));
    }
    for (const p of o.parameters ?? []) args.push(p.forceString ? '--set-string' : '--set', `${p.name}=${p.value}`);
    for (const p of o.fileParameters ?? [])
      args.push('--set-file', `${p.name}=${resolveInside(request.chartDir, p.path, `${request.what}: fileParameters entry`)}`);
    const { stdout } = await runTool(request.helm, args, { env: request.env, what: request.what });
    return parseManifests(stdout, request.what);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
