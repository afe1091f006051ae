import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initPlatformRepo, objectsOf, openLocalRepo, renderPlatform, selectOutput } from '../../src/index.js';
import { crdProblemsAll } from '../helpers/crd.js';

t.test('a repo made by init renders valid Applications', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gk-init-'));
  initPlatformRepo(dir);
  const objects = objectsOf(selectOutput(renderPlatform(openLocalRepo(dir))));
  t.equal(objects.length, 4);
  t.same(crdProblemsAll(objects), []);
});
