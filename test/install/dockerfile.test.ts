import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from './kustomize-build.js';

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Dockerfile instructions grouped by stage, continuation lines joined, ARG defaults before the first FROM substituted. */
function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = op.toUpperCase();
    if (upper === 'FROM') {
      const [image = '', , name] = args.replace(/--platform=\S+\s+/, '').split(/\s+/);
      const from = image.replace(/\$\{?(\w+)\}?/g, (_, v: string) => globalArgs.get(v) ?? '');
      stages.push({ from, name, instructions: [] });
    } else if (stages.length === 0 && upper === 'ARG') {
      const [k = '', v = ''] = args.split('=');
      globalArgs.set(k, v);
    } else {
      stages.at(-1)?.instructions.push({ op: upper, args });
    }
  }
  return stages;
}

/** What is wrong with the Dockerfile against the packaging rules (empty when it meets them). */
function dockerfileProblems(text: string): string[] {
  const p: string[] = [];
  const stages = parseDockerfile(text);
  if (stages.length < 2) p.push('must be multi-stage');
  for (const s of stages) {
    const m = /^node:(\d+)\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$|^node(:[\w.-]+)?@sha256:[0-9a-f]{64}$/.exec(s.from);
    if (!m) p.push(`base ${s.from} is not node pinned to an exact version or digest`);
    else if (m[1] && Number(m[1]) % 2 !== 0) p.push(`base ${s.from} is not an LTS (even) Node line`);
  }
  const build = stages.find((s) => s.instructions.some((i) => i.op === 'RUN' && /\bnpm run build\b/.test(i.args)));
  if (!build) p.push('no stage runs npm run build');
  const final = stages.at(-1);
  if (!final) return p;
  const users = final.instructions.filter((i) => i.op === 'USER');
  const user = users.at(-1)?.args ?? '';
  if (!/^999(:999)?$/.test(user)) p.push(`final stage must run as USER 999 (got ${user || 'root'})`);
  const runs = final.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
  const npm = runs.filter((r) => /\bnpm (ci|install|i)\b/.test(r));
  if (!npm.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))) p.push('final stage must install with npm ci --omit=dev');
  if (npm.some((r) => /\bnpm (install|i)\b/.test(r) || (/\bnpm ci\b/.test(r) && !/--omit=dev/.test(r)))) p.push('final stage installs dev dependencies');
  const copies = final.instructions.filter((i) => i.op === 'COPY').map((i) => i.args);
  if (copies.some((c) => /--from=\S+/.test(c) && /node_modules/.test(c))) p.push('final stage copies node_modules (with dev dependencies) from another stage');
  if (!runs.some((r) => /apt-get install[^&]*\bgit\b/.test(r) && /apt-get install[^&]*\bopenssh-client\b/.test(r)))
    p.push('final stage must install git and openssh-client');
  if (!copies.some((c) => /plugin\.yaml\s+\/home\/argocd\/cmp-server\/config\/plugin\.yaml$/.test(c)))
    p.push('plugin.yaml must be copied to /home/argocd/cmp-server/config/plugin.yaml');
  const env = final.instructions
    .filter((i) => i.op === 'ENV')
    .map((i) => i.args)
    .join(' ');
  if (!/\bHOME=\/tmp\b/.test(env)) p.push('HOME must be /tmp (read-only root filesystem)');
  if (!/\bXDG_CACHE_HOME=\/tmp\b/.test(env)) p.push('caches must be under /tmp (read-only root filesystem)');
  // The CLI's compiled code is cached only where Node may write: without it every `generate` compiles the bundle.
  if (!/\bNODE_COMPILE_CACHE=\/tmp\//.test(env)) p.push("NODE_COMPILE_CACHE must be under /tmp (Node's compile cache on a read-only root filesystem)");
  return p;
}

const dockerfile = readFileSync(path.join(projectRoot, 'Dockerfile'), 'utf8');

t.test('the Dockerfile meets the packaging rules: pinned LTS base, uid 999, production dependencies only, git and ssh, read-only root', (t) => {
  t.same(dockerfileProblems(dockerfile), []);
  t.end();
});

t.test('the Dockerfile checks catch a root user, dev dependencies, an unpinned base and no compile cache', (t) => {
  t.match(dockerfileProblems(`${dockerfile}\nUSER root\n`).join('\n'), /USER 999/);
  t.match(dockerfileProblems(dockerfile.replace('npm ci --omit=dev', 'npm ci')).join('\n'), /dev dependencies|--omit=dev/);
  t.match(dockerfileProblems(dockerfile.replace(/ARG NODE_IMAGE=\S+/, 'ARG NODE_IMAGE=node:lts-slim')).join('\n'), /not node pinned/);
  t.match(dockerfileProblems(dockerfile.replace(/ARG NODE_IMAGE=node:\d+/, 'ARG NODE_IMAGE=node:25')).join('\n'), /not an LTS/);
  t.match(dockerfileProblems(dockerfile.replace(/NODE_COMPILE_CACHE=\S+/, '')).join('\n'), /NODE_COMPILE_CACHE/);
  t.end();
});

t.test('the final stage copies the built CLI, puts gitops-k8s on the PATH and keeps the plugin config where cmp-server reads it', (t) => {
  const final = parseDockerfile(dockerfile).at(-1)!;
  const text = final.instructions.map((i) => `${i.op} ${i.args}`).join('\n');
  t.match(text, /COPY --from=build \/src\/dist\/src \.\/dist\/src/);
  t.match(text, /ln -s \/app\/dist\/src\/gitops-k8s\.cjs \/usr\/local\/bin\/gitops-k8s/);
  t.equal(
    JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')).bin['gitops-k8s'],
    'dist/src/gitops-k8s.cjs',
    'the image runs the bin package.json names',
  );
  t.match(text, /ENTRYPOINT \["gitops-k8s"\]/);
  t.match(text, /COPY manifests/, 'manifests ship in the image for bootstrap');
  t.end();
});

t.test('.dockerignore keeps node_modules, Git data, tests and secrets out, and lets every copied path in', (t) => {
  const ignore = readFileSync(path.join(projectRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const must of ['**/node_modules', '.git', 'test', 'dist']) t.ok(ignore.includes(must), `ignores ${must}`);
  t.ok(
    ignore.some((l) => /\.env/.test(l)),
    'ignores .env files',
  );
  const copied = parseDockerfile(dockerfile)
    .flatMap((s) => s.instructions.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from')))
    .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
  for (const source of copied) t.notOk(ignore.includes(source) || ignore.includes(source.split('/')[0]!), `${source} is in the build context`);
  t.end();
});

t.test("the image ships the helm and kustomize Argo CD v3.5.1 bundles, each download checked against Argo CD's checksum", (t) => {
  const vendor = path.join(projectRoot, 'vendor/argo-cd');
  const pinned = Object.fromEntries([...readFileSync(path.join(vendor, 'tool-versions.sh'), 'utf8').matchAll(/^(\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
  const tools = parseDockerfile(dockerfile).find((s) => s.name === 'tools');
  if (!tools) return t.fail('a stage named tools installs helm and kustomize');
  const args = Object.fromEntries(tools.instructions.filter((i) => i.op === 'ARG').map((i) => i.args.split('=') as [string, string]));
  t.equal(args.HELM_VERSION, pinned.helm4_version, 'helm is the version Argo CD bundles');
  t.equal(args.KUSTOMIZE_VERSION, pinned.kustomize5_version, 'kustomize is the version Argo CD bundles');
  const checksum = (file: string) => readFileSync(path.join(vendor, 'checksums', `${file}.sha256`), 'utf8').split(/\s+/)[0];
  for (const arch of ['amd64', 'arm64']) {
    t.equal(args[`HELM_SHA256_${arch.toUpperCase()}`], checksum(`helm-v${args.HELM_VERSION}-linux-${arch}.tar.gz`), `helm ${arch} checksum`);
    t.equal(args[`KUSTOMIZE_SHA256_${arch.toUpperCase()}`], checksum(`kustomize_${args.KUSTOMIZE_VERSION}_linux_${arch}.tar.gz`), `kustomize ${arch} checksum`);
  }
  const run = tools.instructions.find((i) => i.op === 'RUN')?.args ?? '';
  t.equal(run.match(/sha256sum -c/g)?.length, 2, 'both downloads are checked before they are installed');
  const final = parseDockerfile(dockerfile).at(-1)!;
  t.ok(
    final.instructions.some((i) => i.op === 'COPY' && /--from=tools .*\/helm .*\/kustomize \/usr\/local\/bin\/$/.test(i.args)),
    'the runtime stage has both on the PATH',
  );
  t.end();
});
