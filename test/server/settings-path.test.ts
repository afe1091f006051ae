import t from 'tap';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ParameterSet } from '../../src/server/generator/parameters.js';
import { testApp } from '../fixtures/server-support/app.js';
import { tempDir } from '../fixtures/server-support/git-repos.js';
import { projectRoot } from '../helpers/project-root.js';

const fixture = path.join(projectRoot, 'test/fixtures/core-folder-apps');

t.test("a folder app's path parameters and its Application's path agree when gitops.yaml says where the platform repo sits", async (t) => {
  const dir = tempDir('gk-settings-path-');
  cpSync(fixture, dir, { recursive: true });
  writeFileSync(path.join(dir, 'gitops.yaml'), `${readFileSync(path.join(dir, 'gitops.yaml'), 'utf8')}path: teams/platform\n`);
  const { app, call } = await testApp({ repo: dir });
  t.teardown(() => app.close());
  const reply = await call({});
  t.equal(reply.statusCode, 200);
  const sets = (reply.json() as { output: { parameters: ParameterSet[] } }).output.parameters;
  const inRepo = sets.filter((s) => {
    const source = (s.spec as { source?: { repoURL?: string; path?: string } }).source;
    return source?.repoURL === 'https://git.example.com/platform.git' && source.path !== undefined;
  });
  t.ok(inRepo.length > 0, 'the fixture has folder apps in the platform repo');
  for (const s of inRepo) {
    const sourcePath = (s.spec as { source: { path: string } }).source.path;
    const params = s.path as { path: string; segments: string[] };
    t.ok(sourcePath.startsWith('teams/platform/'), `${s.name}: spec path ${sourcePath}`);
    t.ok(params.path.startsWith('teams/platform/'), `${s.name}: path.path ${params.path}`);
    t.same(params.segments.slice(0, 2), ['teams', 'platform']);
  }
});
