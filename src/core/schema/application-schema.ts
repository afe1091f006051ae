/**
 * The strict schema of a full Argo CD Application file, made from the
 * Application CRD's OpenAPI schema (vendor/argo-cd/application-crd.yaml).
 * The build compiles it into standalone validators
 * (scripts/build-validators.mjs), so that no CLI process parses the 400 kB CRD.
 */

/** Where the CRD is, relative to the project root; read by the build (and by tests running the sources). */
export const APPLICATION_CRD_FILE = 'vendor/argo-cd/application-crd.yaml';

type Schema = Record<string, unknown>;

const isObject = (value: unknown): value is Schema => value !== null && typeof value === 'object' && !Array.isArray(value);

// The CRD leaves metadata open (the API server checks ObjectMeta itself); a
// misspelt `labls:` would otherwise be dropped without a word.
const stringMap = { type: ['object', 'null'], additionalProperties: { type: 'string' } };
const objectMeta: Schema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    generateName: { type: 'string' },
    namespace: { type: 'string' },
    labels: stringMap,
    annotations: stringMap,
    finalizers: { type: ['array', 'null'], items: { type: 'string' } },
    uid: { type: 'string' },
    resourceVersion: { type: 'string' },
    generation: { type: 'integer' },
    creationTimestamp: { type: ['string', 'null'] },
    deletionTimestamp: { type: ['string', 'null'] },
    deletionGracePeriodSeconds: { type: 'integer' },
    ownerReferences: { type: ['array', 'null'] },
    managedFields: { type: ['array', 'null'] },
  },
};

/**
 * One CRD schema node as ajv checks it, like `kubectl --validate=strict`:
 * an object that lists its properties, without
 * x-kubernetes-preserve-unknown-fields or additionalProperties, refuses
 * other keys. A property may be null, as the API server prunes nulls of
 * non-nullable fields; here a null removes what a lower layer set.
 * Descriptions and formats go: the first only make the code larger, the
 * second are Go types (int64) ajv does not know.
 */
function strictNode(node: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'description' || key === 'format' || key.startsWith('x-kubernetes-')) continue;
    if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, nullable(strictNode(child as Schema))]));
    } else if ((key === 'items' || key === 'additionalProperties') && isObject(value)) out[key] = strictNode(value);
    else if (key === 'anyOf' && Array.isArray(value)) out.anyOf = value.map((branch) => strictNode(branch as Schema));
    else out[key] = value;
  }
  if (isObject(out.properties) && out.additionalProperties === undefined && node['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

function nullable(node: Schema): Schema {
  if (typeof node.type === 'string') return { ...node, type: [node.type, 'null'] };
  if (Array.isArray(node.anyOf)) return { ...node, anyOf: [...node.anyOf, { type: 'null' }] };
  return node;
}

/**
 * The schema of a full Application file from the CRD's
 * `spec.versions[0].schema.openAPIV3Schema`. `spec.destination` and
 * `spec.project` are not required: gitops-k8s fills them in. `status` and
 * `operation` belong to Argo CD and are never emitted: kept as open maps.
 */
function strictApplicationSchema(openAPIV3Schema: unknown): Schema {
  if (!isObject(openAPIV3Schema) || !isObject(openAPIV3Schema.properties)) throw new Error('application CRD: no openAPIV3Schema.properties');
  const { status: _status, operation: _operation, metadata: _metadata, ...rest } = openAPIV3Schema.properties;
  const strict = strictNode({ ...openAPIV3Schema, properties: rest, required: ['spec'] });
  const properties = strict.properties as Schema;
  properties.metadata = objectMeta;
  properties.status = { type: ['object', 'null'] };
  properties.operation = { type: ['object', 'null'] };
  const spec = properties.spec as Schema;
  properties.spec = { ...spec, type: 'object', required: ((spec.required ?? []) as string[]).filter((name) => name !== 'destination' && name !== 'project') };
  return strict;
}

/** Reads the CRD file's text (YAML) into the strict schema, with the parser given. */
export function applicationSchemaFromCrd(text: string, parse: (text: string) => unknown): Schema {
  const crd = parse(text) as { spec?: { versions?: { schema?: { openAPIV3Schema?: unknown } }[] } };
  return strictApplicationSchema(crd.spec?.versions?.[0]?.schema?.openAPIV3Schema);
}
