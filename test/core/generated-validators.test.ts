import t from 'tap';
import { Ajv, type ValidateFunction } from 'ajv';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { yamlFiles } from '../helpers/yaml-files.js';
import { parse } from 'yaml';
import { ajvOptions, schemas } from '../../src/core/schema/schemas.js';
import { projectRoot as root } from '../helpers/project-root.js';

const generatedFile = path.join(root, 'dist/src/core/schema/validators.generated.js');

t.test('the build-time validators judge every fixture exactly as run-time ajv does', async (t) => {
  t.ok(existsSync(generatedFile), 'npm run build wrote dist/src/core/schema/validators.generated.js');
  const generated = (await import(generatedFile)) as Record<string, ValidateFunction>;
  const ajv = new Ajv(ajvOptions);
  const files = [...yamlFiles(path.join(root, 'test/fixtures')), ...yamlFiles(path.join(root, 'examples'))];
  t.ok(files.length > 50, `${files.length} fixture files`);
  let compared = 0;
  for (const [name, schema] of Object.entries(schemas)) {
    const runtime = ajv.compile(schema);
    const built = generated[name]!;
    t.type(built, 'function', `${name} is generated`);
    for (const file of files) {
      let data: unknown;
      try {
        data = parse(readFileSync(file, 'utf8'), { maxAliasCount: 100 });
      } catch {
        continue;
      }
      const a = runtime(data);
      const b = built(data);
      const strip = (errors: typeof runtime.errors) => (errors ?? []).map((e) => [e.keyword, e.instancePath, e.params]);
      if (a !== b || JSON.stringify(strip(runtime.errors)) !== JSON.stringify(strip(built.errors))) {
        t.fail(`${name} disagrees on ${path.relative(root, file)}`);
      }
      compared++;
    }
  }
  t.ok(compared > 300, `${compared} comparisons`);
});
