#!/usr/bin/env node
// Part of `npm run lint`, beside Biome: Biome's formatter wraps code at 160
// columns but leaves long strings and comments alone, so this refuses any line
// of a tracked source file (src, test, bench, scripts) over 160 characters.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const LIMIT = 160;
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'src', 'test', 'bench', 'scripts'], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => /\.(ts|cts|mts|mjs|cjs|js)$/.test(f) && !f.startsWith('test/fixtures/'));
const long = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') continue; // deleted in the work tree, still in the index
    throw error;
  }
  text.split('\n').forEach((line, i) => {
    if (line.length > LIMIT) long.push(`${file}:${i + 1}: ${line.length} characters`);
  });
}
if (long.length > 0) {
  process.stderr.write(`${long.join('\n')}\n${long.length} line(s) over ${LIMIT} characters\n`);
  process.exit(1);
}
process.stdout.write(`line length: ${files.length} files, none over ${LIMIT} characters\n`);
