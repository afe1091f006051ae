/**
 * The ApplicationSet in manifests/install renders, with this generator's
 * parameters, into the Applications `render` makes. Go-template semantics
 * are reproduced for what the manifest uses (`{{ .a.b }}`, `{{ toJson .a }}`,
 * missingkey=error); anything else fails the test rather than being guessed.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { renderPlatform, openLocalRepo, type Application } from '../../src/index.js';
import type { ParameterSet } from '../../src/server/generator/parameters.js';
import { crdProblemsAll } from '../helpers/crd.js';
import { inReplyOrder } from '../helpers/reply-order.js';
import { testApp } from '../fixtures/server-support/app.js';
import { makeWorkTree, platformFiles } from '../fixtures/server-support/git-repos.js';

const MANIFEST = 'manifests/install/applicationset.yaml';

function lookup(params: unknown, path: string): unknown {
  let value = params;
  for (const key of path.split('.').filter(Boolean)) {
    if (value === null || typeof value !== 'object' || !(key in value)) throw new Error(`map has no entry for key "${key}" (missingkey=error)`);
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Go's encoding/json for what sprig's toJson meets: float64 in full unless < 1e-6 or >= 1e21. */
function goJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => v);
}

/** Go's fmt %v of a parameter value. */
function goPrint(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number')
    return Math.abs(value) >= 1e6 || (value !== 0 && Math.abs(value) < 1e-4) ? value.toExponential().replace(/e([+-])(\d)$/, 'e$10$2') : String(value);
  if (typeof value === 'boolean') return String(value);
  throw new Error(`%v of a ${typeof value} is not something a template here should print`);
}

/** text/template for the actions the manifest uses. */
function goTemplate(text: string, params: unknown): string {
  return text.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_m, action: string) => {
    let m: RegExpExecArray | null;
    if ((m = /^\.([A-Za-z0-9_.]*)$/.exec(action))) return goPrint(lookup(params, m[1]!));
    if ((m = /^toJson\s+\.([A-Za-z0-9_.]*)$/.exec(action))) return goJson(lookup(params, m[1]!));
    throw new Error(`template action {{ ${action} }} is not supported by this test; extend goTemplate()`);
  });
}

function templateStrings(node: unknown, params: unknown): unknown {
  if (typeof node === 'string') return goTemplate(node, params);
  if (Array.isArray(node)) return node.map((n) => templateStrings(n, params));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, templateStrings(v, params)]));
  return node;
}

/** A strategic merge patch as it acts on these fields: maps merge, lists and scalars replace. */
function mergePatch(base: unknown, patch: unknown): unknown {
  if (patch && typeof patch === 'object' && !Array.isArray(patch) && base && typeof base === 'object' && !Array.isArray(base)) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(patch)) out[k] = v === null ? undefined : mergePatch(out[k], v);
    return out;
  }
  return patch;
}

t.test("the ApplicationSet of manifests/install, fed this generator's reply, makes render's Applications", async (t) => {
  const appSet = parse(readFileSync(MANIFEST, 'utf8')) as {
    metadata: { namespace: string };
    spec: {
      goTemplate: boolean;
      goTemplateOptions?: string[];
      generators: { plugin?: { input?: { parameters?: Record<string, unknown> } } }[];
      template: unknown;
      templatePatch?: string;
      syncPolicy?: { preserveResourcesOnDeletion?: boolean };
    };
  };
  t.equal(appSet.spec.goTemplate, true);
  t.same(crdProblemsAll([appSet as never]), [], 'the ApplicationSet itself is valid');
  const plugin = appSet.spec.generators.find((g) => g.plugin)?.plugin;
  t.ok(plugin, 'it has a plugin generator');
  const inputKeys = Object.keys(plugin?.input?.parameters ?? {});
  t.ok(
    inputKeys.every((k) => ['repoURL', 'revision', 'path', 'cluster', 'clusters', 'namespace', 'namespaces', 'labels', 'clusterLabels'].includes(k)),
    `its input parameters are ones the generator accepts: ${inputKeys.join(', ')}`,
  );

  // The manifest's repo and path point at GitHub; serve the same layout locally under that path.
  const path = String(plugin?.input?.parameters?.path ?? '');
  const prefix = path ? `${path}/` : '';
  const dir = makeWorkTree(platformFiles(prefix));
  const { app, call } = await testApp({ repo: `file://${dir}` });
  t.teardown(() => app.close());
  const res = await call({ ...plugin?.input?.parameters, repoURL: `file://${dir}`, revision: 'main' });
  t.equal(res.statusCode, 200, res.statusCode === 200 ? 'answered' : res.body);
  const sets = (res.json() as { output: { parameters: ParameterSet[] } }).output.parameters;

  const applications = sets.map((set) => {
    // Argo CD decodes the reply into map[string]interface{}: JSON round trip.
    const params = JSON.parse(JSON.stringify(set)) as unknown;
    let application = templateStrings(appSet.spec.template, params) as Record<string, unknown>;
    if (appSet.spec.templatePatch) application = mergePatch(application, parse(goTemplate(appSet.spec.templatePatch, params))) as Record<string, unknown>;
    const metadata: Record<string, unknown> = { ...(application.metadata as Record<string, unknown>), namespace: appSet.metadata.namespace };
    if (!metadata.finalizers && !appSet.spec.syncPolicy?.preserveResourcesOnDeletion) metadata.finalizers = ['resources-finalizer.argocd.argoproj.io'];
    return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...application, metadata } as unknown as Application;
  });
  t.same(crdProblemsAll(applications), []);
  const rendered = renderPlatform(openLocalRepo(`${dir}/${path}`), {
    repoURL: `file://${dir}`,
    targetRevision: 'main',
    pathPrefix: path || undefined,
    argocdNamespace: appSet.metadata.namespace,
  });
  t.equal(applications.length, rendered.apps.length);
  for (const [i, r] of inReplyOrder(rendered.apps).entries()) {
    const a = applications[i]!;
    t.equal(a.metadata.name, r.application.metadata.name);
    t.same(a.metadata.labels, r.application.metadata.labels, `${a.metadata.name}: labels`);
    t.same(a.metadata.annotations, r.application.metadata.annotations, `${a.metadata.name}: annotations`);
    t.same(a.spec, r.application.spec, `${a.metadata.name}: spec`);
  }
});
