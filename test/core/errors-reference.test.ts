// The README's errors reference and the catalogue are one list: a code added,
// removed or given another status shows up here.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { errorCatalogue } from '../../src/core/errors.js';
import { projectRoot } from '../helpers/project-root.js';

const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
const section = /<!-- section:errors -->([\s\S]*?)<!-- \/section:errors -->/.exec(readme)?.[1] ?? '';

t.test('every catalogue code is documented with its status, and nothing else is', (t) => {
  const rows = [...section.matchAll(/^\| `(GK_[A-Z_]+)` \| (\d{3}) \| ([^|]+) \| ([^|]+) \|$/gm)];
  t.ok(rows.length > 0, 'the section has rows');
  const documented = Object.fromEntries(rows.map((r) => [r[1]!, Number(r[2])]));
  const catalogue = Object.fromEntries(Object.entries(errorCatalogue).map(([code, e]) => [code, e.statusCode]));
  t.same(documented, catalogue);
  for (const r of rows) t.ok(r[3]!.trim().length > 10 && r[4]!.trim().length > 5, `${r[1]} says what it means and what to do`);
  t.end();
});
