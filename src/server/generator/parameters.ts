import type { RenderedApp } from '../../core/render/render-applications.js';
import { directoryPathParams, filePathParams, type ArgoPathParams } from './argo-path.js';

/** One parameter set of the reply: one per (app, cluster). */
export interface ParameterSet {
  name: string;
  app: string;
  namespace: string;
  project: string;
  cluster: { name: string; server: string; destinationName?: string; provider: string; labels: Record<string, string>; vars: Record<string, unknown> };
  path: ArgoPathParams;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: Record<string, unknown>;
}

/**
 * Whether Go's text/template would print a number in exponent form. Argo CD
 * decodes parameters into float64, and `{{ .x }}` / `toYaml` print a float64
 * with `%v` (shortest `%g`, exponent from 1e6 up or below 1e-4): 1000000
 * becomes `1e+06`.
 */
export function goWouldMangle(n: number): boolean {
  if (!Number.isFinite(n)) return true;
  const a = Math.abs(n);
  return a !== 0 && (a >= 1e6 || a < 1e-4);
}

/** Replaces numbers Go would mangle with their decimal strings, everywhere in a value. */
export function goSafe<T>(value: T): T {
  if (typeof value === 'number') return (goWouldMangle(value) ? String(value) : value) as T;
  if (Array.isArray(value)) return value.map(goSafe) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = goSafe(v);
    return out as T;
  }
  return value;
}

function joinPath(prefix: string, p: string): string {
  return prefix === '' || prefix === '.' ? p : `${prefix.replace(/\/+$/, '')}/${p}`;
}

/**
 * The `path` object for an app, relative to the Git repository root (so it
 * includes where the platform repo sits): an app folder gets what Argo CD's
 * Git directory generator gives a directory, an app file what its Git files
 * generator gives a file.
 */
export function pathParamsOf(r: RenderedApp, pathPrefix: string): ArgoPathParams {
  if (r.app.dir) return directoryPathParams(joinPath(pathPrefix, r.app.dir));
  return filePathParams(joinPath(pathPrefix, r.app.yaml?.file ?? r.app.source));
}

/**
 * The parameter set of one rendered Application, shaped for `goTemplate: true`.
 *
 * Fields meant for `{{ .x }}` (cluster vars and the like) carry numbers Go
 * would mangle as strings. `spec` is the Application's spec exactly as
 * `render` makes it: it is meant for `templatePatch` through `toJson` or
 * `toYaml`, which print a float64 in full (encoding/json switches to exponent
 * form only from 1e21), so turning its numbers into strings would change the
 * type of Helm values instead of protecting them.
 */
export function parameterSetOf(r: RenderedApp, pathPrefix: string): ParameterSet {
  const { application, cluster } = r;
  const set: Omit<ParameterSet, 'spec'> = {
    name: application.metadata.name,
    app: r.app.name,
    namespace: r.namespace.name,
    project: String(application.spec.project ?? ''),
    cluster: {
      name: cluster.name,
      server: cluster.server ?? '',
      ...(cluster.destinationName ? { destinationName: cluster.destinationName } : {}),
      provider: cluster.provider,
      labels: cluster.labels,
      vars: cluster.vars,
    },
    path: pathParamsOf(r, pathPrefix),
    labels: application.metadata.labels,
    annotations: application.metadata.annotations,
  };
  return { ...goSafe(set), spec: application.spec };
}
