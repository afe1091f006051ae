import t from 'tap';
import { createHash } from 'node:crypto';
import { loadPlatformRepo } from '../../src/core/load/load-platform-repo.js';
import { createParseCache } from '../../src/core/yaml/parse-cache.js';
import { renderModel } from '../../src/core/render/render-platform.js';
import { openMemoryRepo, type MemoryEntry } from '../../src/sources/repo-files.js';

type Files = Record<string, string>;

const base: Files = {
  'gitops.yaml': 'repoURL: https://git.example.com/platform.git\n',
  'clusters/dev.yaml': 'provider: kind\nserver: https://dev.example.com\nvars: { domain: dev.example.com }\n',
  'apps/web/site.yaml': 'repoURL: https://charts.example.com\nchart: site\nversion: 1.0.0\nvalues:\n  host: "site.{{cluster.vars.domain}}"\n',
  'apps/web/blog.yaml': 'repoURL: https://charts.example.com\nchart: blog\nversion: 2.0.0\n',
};

/** A repo whose entries carry git-like content ids, counting which files were read. */
function repoOf(files: Files, reads: string[] = []) {
  const entries: MemoryEntry[] = Object.entries(files).map(([path, text]) => ({
    path,
    type: 'file',
    id: createHash('sha1').update(text).digest('hex'),
    content: () => {
      reads.push(path);
      return Buffer.from(text);
    },
  }));
  return openMemoryRepo('memory', entries);
}

const rendered = (files: Files, parseCache?: ReturnType<typeof createParseCache>) =>
  JSON.stringify(renderModel(loadPlatformRepo(repoOf(files), { parseCache })).apps.map((r) => r.application));

t.test('a second commit reads and parses only the files whose content changed, and renders as without a cache', async (t) => {
  const lookups: boolean[] = [];
  const cache = createParseCache({ onLookup: (hit) => lookups.push(hit) });
  loadPlatformRepo(repoOf(base), { parseCache: cache });
  t.equal(lookups.filter((hit) => !hit).length, Object.keys(base).length, 'the first load parses every file');
  const next = { ...base, 'apps/web/blog.yaml': 'repoURL: https://charts.example.com\nchart: blog\nversion: 2.1.0\n' };
  const reads: string[] = [];
  const repo = loadPlatformRepo(repoOf(next, reads), { parseCache: cache });
  t.same(reads, ['apps/web/blog.yaml'], 'only the changed file is read');
  t.equal(JSON.stringify(renderModel(repo).apps.map((r) => r.application)), rendered(next), 'same Applications as a load without the cache');
  t.match(JSON.stringify(renderModel(repo).apps), /2\.1\.0/);
});

t.test('the same content at another path is parsed again, so messages name the right file', async (t) => {
  const cache = createParseCache();
  const broken = 'repoURL: https://charts.example.com\nchart: x\nversion: 1.0.0\nreplicas: 2\n';
  t.throws(() => loadPlatformRepo(repoOf({ ...base, 'apps/web/one.yaml': broken }), { parseCache: cache }), { message: /apps\/web\/one\.yaml:4/ });
  t.throws(() => loadPlatformRepo(repoOf({ ...base, 'apps/web/two.yaml': broken }), { parseCache: cache }), { message: /apps\/web\/two\.yaml:4/ });
  const moved = { ...base, 'apps/web/site-copy.yaml': base['apps/web/site.yaml']! };
  t.equal(rendered(moved, cache), rendered(moved), 'a copy renders under its own name');
});

t.test('malformed YAML is never kept: the next load reports it again', async (t) => {
  const cache = createParseCache();
  const files = { ...base, 'apps/web/bad.yaml': 'chart: [unclosed\n' };
  for (const round of [1, 2])
    t.throws(() => loadPlatformRepo(repoOf(files), { parseCache: cache }), { code: 'GK_INVALID_YAML', message: /apps\/web\/bad\.yaml:/ }, `load ${round}`);
});

t.test('a kept parse keeps what the plain-data check found: the next load reports it again, without parsing', async (t) => {
  const lookups: boolean[] = [];
  const cache = createParseCache({ onLookup: (hit) => lookups.push(hit) });
  const files = { ...base, 'apps/web/inf.yaml': 'repoURL: https://charts.example.com\nchart: x\nversion: 1.0.0\nvalues:\n  ratio: .inf\n' };
  for (const round of [1, 2]) {
    t.throws(
      () => loadPlatformRepo(repoOf(files), { parseCache: cache }),
      { code: 'GK_INVALID_VALUE', message: /apps\/web\/inf\.yaml:5: values\.ratio: must be a finite number/ },
      `load ${round}`,
    );
  }
  t.equal(lookups.filter((hit) => hit).length, Object.keys(files).length, 'the second load took every parse from the cache');
});

t.test('a file parsed under looser limits is checked again when gitops.yaml lowers them', async (t) => {
  const cache = createParseCache();
  const big = { ...base, 'apps/web/big.yaml': `repoURL: https://charts.example.com\nchart: big\nversion: 1.0.0\nvalues:\n  blob: "${'x'.repeat(4000)}"\n` };
  loadPlatformRepo(repoOf(big), { parseCache: cache });
  const lowered = { ...big, 'gitops.yaml': `${base['gitops.yaml']}limits:\n  maxFileBytes: 2000\n` };
  t.throws(() => loadPlatformRepo(repoOf(lowered), { parseCache: cache }), { code: 'GK_FILE_TOO_LARGE', message: /apps\/web\/big\.yaml/ });
});

t.test('the cache is bounded by memory: older parses go first', async (t) => {
  const lookups: boolean[] = [];
  const cache = createParseCache({ maxBytes: 4096, onLookup: (hit) => lookups.push(hit) });
  loadPlatformRepo(repoOf(base), { parseCache: cache });
  lookups.length = 0;
  loadPlatformRepo(repoOf(base), { parseCache: cache });
  t.ok(
    lookups.some((hit) => !hit),
    'some files were parsed again: they did not all fit',
  );
});
