import type { Problem } from '../errors.js';
import type { YamlFile } from '../yaml/parse-yaml.js';
import { fieldOf } from '../schema/validate.js';

/**
 * Values a platform repo file may not hold in any key, at any depth:
 *
 * - numbers that are not finite (`.inf`, `-.inf`, `.nan`): JSON, and so the
 *   Application's `helm.valuesObject`, has no way to write them;
 * - the key `__proto__`: copying it into an object (every layer merge does)
 *   sets the object's prototype instead of a key, so a layer would silently
 *   lose it or make it the prototype of merged vars. It is refused rather
 *   than carried in null-prototype maps because no Kubernetes, Argo CD or
 *   Helm field is named that, and one check where files are read protects
 *   every later copy (merges, templates, output) at once.
 *
 * A parse shared through the parse cache is checked once, by the cache.
 */
export function checkPlainData(yaml: YamlFile): Problem[] {
  const problems: Problem[] = [];
  walk(yaml, yaml.data, [], problems);
  return problems;
}

function walk(yaml: YamlFile, value: unknown, path: (string | number)[], problems: Problem[]): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      const shown = Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf';
      problems.push({
        code: 'GK_INVALID_VALUE',
        file: yaml.file,
        line: yaml.lineOf(path),
        field: fieldOf(path) || undefined,
        message: `must be a finite number (got ${shown}); JSON, and so the Application, cannot hold it: quote it to pass a string`,
      });
    }
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      walk(yaml, item, [...path, i], problems);
    });
    return;
  }
  for (const key of Object.keys(value)) {
    if (key === '__proto__') {
      problems.push({
        code: 'GK_INVALID_VALUE',
        file: yaml.file,
        line: yaml.lineOfKey(path, key),
        field: fieldOf([...path, key]),
        message: "the key __proto__ is refused: JavaScript reads it as an object's prototype, so it would not survive layering",
      });
      continue;
    }
    walk(yaml, (value as Record<string, unknown>)[key], [...path, key], problems);
  }
}
