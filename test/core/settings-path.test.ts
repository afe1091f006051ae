import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openLocalRepo, renderPlatform } from '../../src/index.js';
import { readCmpEnvironment } from '../../src/cmp/cmp-environment.js';
import { projectRoot } from '../helpers/project-root.js';

const fixture = path.join(projectRoot, 'test/fixtures/core-folder-apps');

function withPath(value: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gk-settings-path-'));
  cpSync(fixture, dir, { recursive: true });
  writeFileSync(path.join(dir, 'gitops.yaml'), `${readFileSync(path.join(dir, 'gitops.yaml'), 'utf8')}path: ${value}\n`);
  return dir;
}

function inRepoPaths(dir: string, pathPrefix?: string): string[] {
  const { apps } = renderPlatform(openLocalRepo(dir), { pathPrefix });
  return apps
    .map((a) => a.application.spec.source as { repoURL: string; path?: string })
    .filter((s) => s.repoURL === 'https://git.example.com/platform.git' && s.path !== undefined)
    .map((s) => s.path!);
}

t.test('gitops.yaml path prefixes the path sources inside the platform repo', async (t) => {
  const plain = inRepoPaths(fixture);
  t.ok(plain.length > 0, 'the fixture has in-repo path sources');
  const prefixed = inRepoPaths(withPath('platform/'));
  t.same(
    prefixed,
    plain.map((p) => `platform/${p}`),
  );
});

t.test("the CMP's source path wins over gitops.yaml path, the repository root included", async (t) => {
  const dir = withPath('platform');
  const plain = inRepoPaths(fixture);
  t.same(inRepoPaths(dir, readCmpEnvironment({ ARGOCD_APP_SOURCE_PATH: '.' }).pathPrefix), plain);
  t.same(
    inRepoPaths(dir, readCmpEnvironment({ ARGOCD_APP_SOURCE_PATH: 'teams/platform' }).pathPrefix),
    plain.map((p) => `teams/platform/${p}`),
  );
});

t.test('a gitops.yaml path that leaves the repository is an error naming the file', async (t) => {
  const dir = withPath('../elsewhere');
  t.throws(() => renderPlatform(openLocalRepo(dir)), { code: 'GK_PATH_ESCAPE', message: /^gitops\.yaml:3: path: / });
});
