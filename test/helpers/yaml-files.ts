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

/** Plain scalars YAML readers are known to read differently (YAML 1.1 against 1.2, js-yaml against yaml). */
export const DISAGREED_SCALARS: readonly string[] = [
  '1_000',
  '0b101',
  '0o17',
  '0x1F',
  '017',
  '+12',
  '-0',
  '1.',
  '.5',
  '1e3',
  '1E+3',
  '.inf',
  '-.Inf',
  '.NaN',
  '~',
  'null',
  'Null',
  'NULL',
  'true',
  'True',
  'TRUE',
  'yes',
  'on',
  'y',
  '2001-12-14',
  '12:30:00',
  '1:20',
  '0.',
  '0777',
  '08',
  '1__0',
  '1,000',
  '=',
  '"a\\x41"',
  "'it''s'",
  '9007199254740993',
  '1.0',
  '""',
  "''",
  'a: b: c',
  '"unterminated',
];
