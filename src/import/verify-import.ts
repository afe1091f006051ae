/**
 * Proof of an import: the written repo is rendered as Argo CD would see it,
 * and every generated Application is compared with its input field by field.
 * What gitops-k8s adds to every Application (its labels, the source
 * annotation) is expected; so is what the import chose on purpose
 * (--adopt-defaults, a Namespace object's labels as managedNamespaceMetadata).
 */
import { isDeepStrictEqual } from 'node:util';
import { loadPlatformRepo } from '../core/load/load-platform-repo.js';
import { isPlainObject } from '../core/layering/merge.js';
import { renderModel } from '../core/render/render-platform.js';
import { FINALIZER, LABEL_PREFIX, MANAGED_BY } from '../core/argo-labels.js';
import { openLocalRepo } from '../sources/repo-files.js';
import { helmValuesOf } from './convert-application.js';
import { convertParameters, type HelmParameter } from './helm-set.js';
import type { SourceObject } from './read-sources.js';

export interface Difference {
  /** The Application's name. */
  application: string;
  /** `missing`, `extra`, or the field path (`spec.source.helm.values.replicas`). */
  path: string;
  input?: unknown;
  generated?: unknown;
}

export interface Verification {
  differences: Difference[];
  /** Differences the user accepted with --accept. */
  accepted: Difference[];
  /** Expected additions, counted by what they are. */
  expected: Map<string, number>;
  compared: number;
}

export interface VerifyOptions {
  adoptDefaults?: boolean;
  /** Field paths (or `missing`, `extra`) whose differences are accepted, with everything under them. */
  accept?: string[];
  /** Per folder, the managedNamespaceMetadata a Namespace object gave it. */
  namespaceMetadata?: ReadonlyMap<string, Record<string, unknown>>;
}

/** The Helm part of a source as Helm sees it: values and the parameters --set applies over them. */
function normalizeSource(source: unknown): unknown {
  if (!isPlainObject(source)) return source;
  const out: Record<string, unknown> = { ...source };
  if (out.chart === undefined && (out.targetRevision === undefined || out.targetRevision === '')) out.targetRevision = 'HEAD';
  if (isPlainObject(source.helm)) {
    const { values: _v, valuesObject: _o, parameters, ...helm } = source.helm;
    const values = helmValuesOf(source.helm).values ?? {};
    const converted = convertParameters(values, (parameters ?? []) as HelmParameter[], {
      valueFiles: Array.isArray(helm.valueFiles) && helm.valueFiles.length > 0,
    });
    if (Object.keys(converted.values).length > 0) helm.values = converted.values;
    if (converted.kept.length > 0) helm.parameters = converted.kept;
    if (Object.keys(helm).length > 0) out.helm = helm;
    else delete out.helm;
  }
  return out;
}

function normalizeSpec(spec: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...spec };
  if (out.source !== undefined) out.source = normalizeSource(out.source);
  if (Array.isArray(out.sources)) out.sources = out.sources.map(normalizeSource);
  return out;
}

function compare(a: unknown, b: unknown, path: string, out: { path: string; input: unknown; generated: unknown }[]): void {
  if (isDeepStrictEqual(a, b)) return;
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) compare(a[key], b[key], `${path}.${key}`, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (const [i, item] of a.entries()) compare(item, b[i], `${path}[${i}]`, out);
    return;
  }
  out.push({ path, input: a, generated: b });
}

function accepted(path: string, accept: readonly string[]): boolean {
  return accept.some((a) => path === a || path.startsWith(`${a}.`) || path.startsWith(`${a}[`));
}

/** Renders the repo at `dir` and compares it with the input Applications. */
export function verifyImport(dir: string, inputs: readonly SourceObject[], options: VerifyOptions = {}): Verification {
  const platform = renderModel(loadPlatformRepo(openLocalRepo(dir)));
  const accept = options.accept ?? [];
  const expected = new Map<string, number>();
  const count = (what: string): void => void expected.set(what, (expected.get(what) ?? 0) + 1);
  const generated = new Map(platform.apps.map((r) => [r.application.metadata.name, r]));
  const seen = new Set<string>();
  const all: Difference[] = [];
  for (const { object } of inputs) {
    const meta = (object.metadata ?? {}) as {
      name: string;
      namespace?: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
      finalizers?: string[];
    };
    const rendered = generated.get(meta.name);
    if (!rendered) {
      all.push({ application: meta.name, path: 'missing' });
      continue;
    }
    seen.add(meta.name);
    const out = structuredClone(rendered.application) as unknown as { metadata: typeof meta; spec: Record<string, unknown> };
    for (const key of Object.keys(out.metadata.labels ?? {})) {
      if ((key === MANAGED_BY || key.startsWith(LABEL_PREFIX)) && meta.labels?.[key] === undefined) {
        delete out.metadata.labels![key];
        count('gitops-k8s labels');
      }
    }
    if (out.metadata.annotations?.[`${LABEL_PREFIX}source`] !== undefined && meta.annotations?.[`${LABEL_PREFIX}source`] === undefined) {
      delete out.metadata.annotations[`${LABEL_PREFIX}source`];
      count(`${LABEL_PREFIX}source annotation`);
    }
    const inputFinalizers = meta.finalizers ?? [];
    if (options.adoptDefaults && !inputFinalizers.includes(FINALIZER) && out.metadata.finalizers?.includes(FINALIZER)) {
      out.metadata.finalizers = out.metadata.finalizers.filter((f) => f !== FINALIZER);
      count('resources finalizer (--adopt-defaults)');
    }
    const inputSpec = (object.spec ?? {}) as Record<string, unknown>;
    const policy = out.spec.syncPolicy as Record<string, unknown> | undefined;
    if (options.adoptDefaults && inputSpec.syncPolicy === undefined && policy !== undefined) {
      delete out.spec.syncPolicy;
      count('default syncPolicy (--adopt-defaults)');
    } else if (
      policy?.managedNamespaceMetadata !== undefined &&
      !isPlainObject((inputSpec.syncPolicy as Record<string, unknown> | undefined)?.managedNamespaceMetadata)
    ) {
      if (isDeepStrictEqual(policy.managedNamespaceMetadata, options.namespaceMetadata?.get(rendered.namespace.name))) {
        const { managedNamespaceMetadata: _m, ...rest } = policy;
        out.spec.syncPolicy = rest;
        count('managedNamespaceMetadata from a Namespace object');
      }
    }
    const left = {
      metadata: {
        name: meta.name,
        namespace: meta.namespace ?? 'argocd',
        labels: meta.labels ?? {},
        annotations: meta.annotations ?? {},
        finalizers: [...inputFinalizers].sort(),
      },
      spec: normalizeSpec(inputSpec),
    };
    const right = {
      metadata: {
        name: out.metadata.name,
        namespace: out.metadata.namespace,
        labels: out.metadata.labels ?? {},
        annotations: out.metadata.annotations ?? {},
        finalizers: [...(out.metadata.finalizers ?? [])].sort(),
      },
      spec: normalizeSpec(out.spec),
    };
    const found: { path: string; input: unknown; generated: unknown }[] = [];
    compare(left, right, '', found);
    for (const d of found) all.push({ application: meta.name, path: d.path.slice(1), input: d.input, generated: d.generated });
  }
  for (const name of generated.keys()) if (!seen.has(name)) all.push({ application: name, path: 'extra' });
  const differences = all.filter((d) => !accepted(d.path, accept));
  return { differences, accepted: all.filter((d) => accepted(d.path, accept)), expected, compared: seen.size };
}
