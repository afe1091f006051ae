import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Every `.yaml`/`.yml` file under `dir` smaller than `maxBytes`, recursively. */
export function yamlFiles(dir: string, maxBytes = 200_000, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const st = statSync(full, { throwIfNoEntry: false });
    if (st?.isDirectory()) yamlFiles(full, maxBytes, out);
    else if (st?.isFile() && /\.ya?ml$/.test(name) && st.size < maxBytes) out.push(full);
  }
  return out;
}
