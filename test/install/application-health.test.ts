/**
 * The Application health check (manifests/install/application-health.lua) run
 * by a real Lua 5.1 interpreter, the language of the gopher-lua VM Argo CD runs
 * it in, under Argo CD's health-script contract: the object in the global
 * `obj`, the script returns { status, message }, and only the base and table
 * libraries are there (no string library, no string methods). A missing
 * `lua5.1` fails the test: `node scripts/ensure-test-tools.mjs` installs it.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { argocdDataDir } from '../helpers/crd.js';
import { find, kustomize, manifestsDir, offlineCopy, projectRoot, stockObjects } from './kustomize-build.js';

const LUA = process.env.LUA51_PATH ?? 'lua5.1';
const CHECK_FILE = path.join(manifestsDir, 'install', 'application-health.lua');
const CHECK_KEY = 'resource.customizations.health.argoproj.io_Application';
/** The statuses Argo CD accepts from a health script; anything else becomes Unknown. */
const HEALTH_CODES = ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A Lua string literal holding exactly the bytes of `s` (as UTF-8). */
function luaString(s: string): string {
  // Three-digit decimal escapes: a following digit cannot extend them.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what Lua needs escaped
  return `"${s.replace(/[\\"]/g, '\\$&').replace(/[\x00-\x1f\x7f]/g, (c) => `\\${String(c.charCodeAt(0)).padStart(3, '0')}`)}"`;
}

/** A JSON value as a Lua table literal, as Argo CD's decodeValue builds it (null is nil). */
function luaLiteral(value: Json): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return luaString(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a JSON number: ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `{${value.map(luaLiteral).join(', ')}}`;
  return `{${Object.entries(value)
    .map(([k, v]) => `[${luaString(k)}] = ${luaLiteral(v)}`)
    .join(', ')}}`;
}

// Runs the script once per case, each in a fresh environment holding what
// Argo CD's runLua opens without UseOpenLibs (base and table; its package and
// safe os the check has no use for), with string methods switched off as they
// are in gopher-lua without the string library. Prints one line per case:
// name, then status and message or ERROR and the error, tab-separated, with
// backslash, tab and newline escaped.
const HARNESS = `
assert(_VERSION == "Lua 5.1", "the check must be tested with Lua 5.1, not " .. _VERSION)
local chunk = assert(loadfile(arg[1]))
local cases = dofile(arg[2])
local base = { "assert", "error", "ipairs", "next", "pairs", "pcall", "select", "tonumber", "tostring", "type",
  "unpack", "xpcall", "getmetatable", "setmetatable", "rawequal", "rawget", "rawset" }
local stringMeta = getmetatable("")
local function escape(s)
  return (tostring(s):gsub("\\\\", "\\\\\\\\"):gsub("\\t", "\\\\t"):gsub("\\n", "\\\\n"))
end
for _, case in ipairs(cases) do
  local env = { table = table }
  for _, name in ipairs(base) do env[name] = _G[name] end
  env._G = env
  env.obj = case.obj
  setfenv(chunk, env)
  local stringMethods = stringMeta.__index
  stringMeta.__index = nil
  local ok, result = pcall(chunk)
  stringMeta.__index = stringMethods
  if not ok then
    io.write(case.name, "\\tERROR\\t", escape(result), "\\n")
  elseif type(result) ~= "table" then
    io.write(case.name, "\\tERROR\\treturned a ", type(result), "\\n")
  else
    io.write(case.name, "\\t", escape(result.status), "\\t", escape(result.message), "\\n")
  end
end
`;

interface Verdict {
  status: string;
  message: string;
}

/** Evaluates a health script (the shipped one unless `script` is given) for each named object. */
async function evaluate(cases: Record<string, Json>, script = CHECK_FILE): Promise<Record<string, Verdict>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gk-lua-'));
  try {
    writeFileSync(path.join(dir, 'harness.lua'), HARNESS);
    const list = Object.entries(cases).map(([name, obj]) => `{ name = ${luaString(name)}, obj = ${luaLiteral(obj)} }`);
    writeFileSync(path.join(dir, 'cases.lua'), `return {\n${list.join(',\n')}\n}\n`);
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(LUA, [path.join(dir, 'harness.lua'), script, path.join(dir, 'cases.lua')], { timeout: 30_000, encoding: 'utf8' }, (error, out, err) => {
        if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
          reject(
            new Error(`${LUA} is not installed: run \`node scripts/ensure-test-tools.mjs\` as root on Debian, or apt-get install lua5.1 (or set LUA51_PATH)`),
          );
        } else if (error) reject(new Error(`${LUA}: ${err || error.message}`));
        else resolve(out);
      });
    });
    const unescapeLua = (s: string): string => s.replace(/\\(\\|t|n)/g, (_match, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : '\\'));
    const verdicts: Record<string, Verdict> = {};
    for (const line of stdout.split('\n').filter((l) => l !== '')) {
      const [name, status, message] = line.split('\t') as [string, string, string];
      verdicts[name] = { status: unescapeLua(status), message: unescapeLua(message ?? '') };
    }
    return verdicts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const base: Json = JSON.parse(readFileSync(path.join(projectRoot, 'test', 'fixtures', 'application-health', 'child-synced-healthy.json'), 'utf8'));
/** The synced, healthy child with `change` applied to a deep copy. */
const child = (change: (app: Json) => void = () => {}): Json => {
  const app = structuredClone(base);
  change(app);
  return app;
};

// Each case is the child Application as Argo CD v3.5 stores it; the expected
// status is what the parent's sync wave must see.
const cases: Record<string, { app: Json; status: string; message?: RegExp }> = {
  'synced and healthy': { app: child(), status: 'Healthy' },
  'synced, health Progressing (rolling out)': { app: child((a) => (a.status.health.status = 'Progressing')), status: 'Progressing' },
  'synced, health Degraded': {
    app: child((a) => (a.status.health = { status: 'Degraded', message: 'Deployment exceeded its progress deadline' })),
    status: 'Degraded',
    message: /progress deadline/,
  },
  'synced, health Suspended': { app: child((a) => (a.status.health.status = 'Suspended')), status: 'Suspended' },
  'synced, health Missing': { app: child((a) => (a.status.health.status = 'Missing')), status: 'Missing' },
  'no status yet (just created by the parent)': { app: child((a) => delete a.status), status: 'Progressing', message: /first comparison/ },
  'status without health': { app: child((a) => delete a.status.health), status: 'Progressing', message: /first comparison/ },
  'status without sync': { app: child((a) => delete a.status.sync), status: 'Progressing', message: /first comparison/ },
  'OutOfSync, still healthy on the old version': { app: child((a) => (a.status.sync.status = 'OutOfSync')), status: 'Progressing', message: /OutOfSync/ },
  'sync status Unknown (comparison failed)': { app: child((a) => (a.status.sync.status = 'Unknown')), status: 'Progressing', message: /Unknown/ },
  'OutOfSync and Degraded': {
    app: child((a) => {
      a.status.sync.status = 'OutOfSync';
      a.status.health.status = 'Degraded';
    }),
    status: 'Degraded',
  },
  'OutOfSync after a sync that failed for good': {
    app: child((a) => {
      a.status.sync.status = 'OutOfSync';
      a.status.operationState.phase = 'Failed';
      a.status.operationState.message = 'one or more objects failed to apply, reason: CustomResourceDefinition not found';
    }),
    status: 'Degraded',
    message: /Failed: one or more objects failed to apply/,
  },
  'OutOfSync after a sync that errored': {
    app: child((a) => {
      a.status.sync.status = 'OutOfSync';
      a.status.operationState.phase = 'Error';
      delete a.status.operationState.message;
    }),
    status: 'Degraded',
    message: /^sync Error: $/,
  },
  'sync running, status still Synced and Healthy from before': {
    app: child((a) => {
      a.status.operationState = {
        phase: 'Running',
        message: 'waiting for healthy state of apps/Deployment/aws-load-balancer-controller',
        startedAt: '2026-05-01T10:05:00Z',
        operation: a.status.operationState.operation,
      };
      a.operation = a.status.operationState.operation;
    }),
    status: 'Progressing',
    message: /Running/,
  },
  'sync running and health Degraded for a moment': {
    app: child((a) => {
      a.status.operationState.phase = 'Running';
      delete a.status.operationState.finishedAt;
      a.status.health.status = 'Degraded';
    }),
    status: 'Progressing',
  },
  'sync terminating': {
    app: child((a) => {
      a.status.operationState.phase = 'Terminating';
      delete a.status.operationState.finishedAt;
    }),
    status: 'Progressing',
    message: /Terminating/,
  },
  'sync requested (operation set), not started: operationState is the previous one': {
    app: child((a) => (a.operation = { initiatedBy: { automated: true }, sync: { revision: '1.15.0' } })),
    status: 'Progressing',
    message: /sync is requested/,
  },
  'refresh requested (Git webhook), not done': {
    app: child((a) => (a.metadata.annotations['argocd.argoproj.io/refresh'] = 'normal')),
    status: 'Progressing',
    message: /refresh/,
  },
  'the parent changed targetRevision, the controller has not compared since (argo-cd#27917)': {
    app: child((a) => (a.spec.source.targetRevision = '1.15.0')),
    status: 'Progressing',
    message: /older spec/,
  },
  'the parent changed the values, the controller has not compared since': {
    app: child((a) => (a.spec.source.helm.valuesObject.replicaCount = 3)),
    status: 'Progressing',
    message: /older spec/,
  },
  'the parent added a value': {
    app: child((a) => (a.spec.source.helm.valuesObject.logLevel = 'debug')),
    status: 'Progressing',
    message: /older spec/,
  },
  'compared, but the status predates the sync that just finished': {
    app: child((a) => (a.status.reconciledAt = '2026-05-01T10:00:19Z')),
    status: 'Progressing',
    message: /predates the last sync/,
  },
  'compared in the second the sync finished': { app: child((a) => (a.status.reconciledAt = a.status.operationState.finishedAt)), status: 'Healthy' },
  'never synced by an operation (no operationState)': { app: child((a) => delete a.status.operationState), status: 'Healthy' },
  'multiple sources, compared against the same ones': {
    app: child((a) => {
      const sources = [a.spec.source, { repoURL: 'https://github.com/acme/platform.git', targetRevision: 'main', ref: 'values' }];
      delete a.spec.source;
      a.spec.sources = sources;
      a.status.sync.comparedTo = { sources: [a.status.sync.comparedTo.source, sources[1]], destination: a.status.sync.comparedTo.destination };
    }),
    status: 'Healthy',
  },
  'multiple sources, one changed since the comparison': {
    app: child((a) => {
      const sources = [a.spec.source, { repoURL: 'https://github.com/acme/platform.git', targetRevision: 'main', ref: 'values' }];
      delete a.spec.source;
      a.spec.sources = sources;
      a.status.sync.comparedTo = {
        sources: [a.status.sync.comparedTo.source, { ...sources[1], targetRevision: 'v1' }],
        destination: a.status.sync.comparedTo.destination,
      };
    }),
    status: 'Progressing',
    message: /older spec/,
  },
  'source hydrator: the compared source is derived in Go, never read as stale': {
    app: child((a) => {
      delete a.spec.source;
      a.spec.sourceHydrator = {
        drySource: { repoURL: 'https://github.com/acme/platform.git', targetRevision: 'main', path: 'apps/lbc' },
        syncSource: { targetBranch: 'environments/prod', path: 'apps/lbc' },
      };
      a.status.sync.comparedTo.source = { repoURL: 'https://github.com/acme/platform.git', targetRevision: 'environments/prod', path: 'apps/lbc' };
    }),
    status: 'Healthy',
  },
};

/** Fields of `value` that the schema does not declare (free-form objects such as metadata are not looked into). */
function undeclaredFields(value: Json, schema: Json, at: string): string[] {
  if (schema['x-kubernetes-preserve-unknown-fields'] || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return schema.items ? value.flatMap((v, i) => undeclaredFields(v, schema.items, `${at}[${i}]`)) : [];
  const entries = Object.entries(value);
  if (schema.properties) {
    return entries.flatMap(([k, v]) => (schema.properties[k] ? undeclaredFields(v, schema.properties[k], `${at}.${k}`) : [`${at}.${k}`]));
  }
  if (typeof schema.additionalProperties === 'object') return entries.flatMap(([k, v]) => undeclaredFields(v, schema.additionalProperties, `${at}.${k}`));
  return [];
}

t.test('every field the cases set (so every field the check reads) is in the Argo CD v3.5.1 Application CRD', async (t) => {
  const crd = parse(readFileSync(path.join(argocdDataDir, 'application-crd.yaml'), 'utf8'), { maxAliasCount: -1 });
  const schema = crd.spec.versions[0].schema.openAPIV3Schema;
  for (const [name, { app }] of Object.entries(cases)) t.same(undeclaredFields(app, schema, ''), [], name);
  t.same(
    undeclaredFields({ status: { observedGeneration: 3 } }, schema, ''),
    ['.status.observedGeneration'],
    'the checker finds an undeclared field (Applications have no observedGeneration)',
  );
});

t.test('the shipped check gives each child Application the health its parent must wait on', async (t) => {
  const verdicts = await evaluate(Object.fromEntries(Object.entries(cases).map(([name, c]) => [name, c.app])));
  for (const [name, expected] of Object.entries(cases)) {
    const verdict = verdicts[name];
    t.not(verdict?.status, 'ERROR', `${name}: ${verdict?.message}`);
    t.equal(verdict?.status, expected.status, name);
    t.ok(HEALTH_CODES.includes(String(verdict?.status)), `${name}: a status Argo CD accepts`);
    if (expected.message) t.match(verdict?.message, expected.message, `${name}: message`);
  }
});

t.test('the harness runs scripts without the string library, as Argo CD does (a check using it fails)', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gk-lua-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const scripts = {
    library: 'return { status = string.sub("Healthy", 1) }',
    method: 'local s = "Healthy"\nreturn { status = s:sub(1) }',
    math: 'return { status = "Healthy", message = tostring(math.floor(1.5)) }',
    plain: 'return { status = obj.status.health.status, message = "" }',
  };
  for (const [name, source] of Object.entries(scripts)) {
    const file = path.join(dir, `${name}.lua`);
    writeFileSync(file, source);
    const verdict = (await evaluate({ case: base }, file)).case;
    t.equal(verdict?.status, name === 'plain' ? 'Healthy' : 'ERROR', `${name}: ${verdict?.message}`);
  }
});

t.test('kustomize merges the one copy of the check into the stock argocd-cm of manifests/install', async (t) => {
  const root = offlineCopy();
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const built = await kustomize(path.join(root, 'manifests', 'install'));
  const cms = built.filter((o) => o.kind === 'ConfigMap' && /^argocd-cm(-[a-z0-9]+)?$/.test(o.metadata.name));
  t.same(
    cms.map((o) => o.metadata.name),
    ['argocd-cm'],
    'one argocd-cm, no hash suffix: Argo CD reads it by name',
  );
  const stock = find(stockObjects(), 'ConfigMap', 'argocd-cm')!;
  t.same(cms[0]!.metadata.labels, stock.metadata.labels, 'keeps the labels Argo CD selects it by');
  t.equal(cms[0]!.data?.[CHECK_KEY], readFileSync(CHECK_FILE, 'utf8'), 'byte for byte the shipped file');
  t.same(cms[0]!.data, { ...stock.data, [CHECK_KEY]: cms[0]!.data?.[CHECK_KEY] }, 'keeps the stock settings and adds nothing else');
  t.notOk(stock.data?.[CHECK_KEY], 'the stock install has no Application health check of its own');
});

t.test('manifests/install turns on progressive syncs, so a RollingSync strategy is honoured', async (t) => {
  const root = offlineCopy();
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const built = await kustomize(path.join(root, 'manifests', 'install'));
  const cms = built.filter((o) => o.kind === 'ConfigMap' && /^argocd-cmd-params-cm(-[a-z0-9]+)?$/.test(o.metadata.name));
  t.same(
    cms.map((o) => o.metadata.name),
    ['argocd-cmd-params-cm'],
    'one, under the name Argo CD reads',
  );
  const stock = find(stockObjects(), 'ConfigMap', 'argocd-cmd-params-cm')!;
  t.same(cms[0]!.metadata.labels, stock.metadata.labels, 'keeps the labels');
  t.same(cms[0]!.data, { ...(stock.data ?? {}), 'applicationsetcontroller.enable.progressive.syncs': 'true' }, 'the stock settings plus the one flag');
});
