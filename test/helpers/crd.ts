/**
 * Validates objects against the real Argo CD CRD schemas in vendor/argo-cd
 * (v3.5.1, byte-identical upstream copies), as the Kubernetes API server would (structural OpenAPI v3).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from './project-root.js';

export const argocdDataDir = path.join(projectRoot, 'vendor/argo-cd');

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const cache = new Map<string, ValidateFunction>();

function validatorFor(kind: string): ValidateFunction {
  let v = cache.get(kind);
  if (v) return v;
  const file = { Application: 'application-crd.yaml', AppProject: 'appproject-crd.yaml', ApplicationSet: 'applicationset-crd.yaml' }[kind];
  if (!file) throw new Error(`no CRD for kind ${kind}`);
  const crd = parse(readFileSync(path.join(argocdDataDir, file), 'utf8'), { maxAliasCount: -1 });
  const schema = crd.spec.versions[0].schema.openAPIV3Schema;
  v = ajv.compile(schema);
  cache.set(kind, v);
  return v;
}

/** Problems of one object against its CRD, as readable lines (empty when valid). */
export function crdProblems(object: { kind?: unknown; metadata?: { name?: unknown } }): string[] {
  const kind = String(object.kind);
  const validate = validatorFor(kind);
  const problems: string[] = [];
  const name = String(object.metadata?.name ?? '');
  if (!validate(object)) {
    for (const e of validate.errors ?? []) problems.push(`${kind} ${name}: ${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) problems.push(`${kind} ${name}: metadata.name is not a DNS-1123 label`);
  return problems;
}

/** Problems of many objects. */
export function crdProblemsAll(objects: readonly { kind?: unknown; metadata?: { name?: unknown } }[]): string[] {
  return objects.flatMap(crdProblems);
}
