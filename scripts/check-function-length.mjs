#!/usr/bin/env node
// Part of `npm run lint`: no function in src/ longer than 120 lines. A longer
// one is a file in disguise: its parts want names of their own.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const ts = createRequire(import.meta.url)('typescript');
const LIMIT = 120;

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(file);
    return /\.c?ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [file] : [];
  });
}

const long = [];
for (const file of sourceFiles('src')) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.end).line;
      if (last - first + 1 > LIMIT) long.push(`${file}:${first + 1}: ${node.name?.getText() ?? '(anonymous)'} is ${last - first + 1} lines`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
if (long.length > 0) {
  process.stderr.write(`${long.join('\n')}\n${long.length} function(s) over ${LIMIT} lines\n`);
  process.exit(1);
}
process.stdout.write(`function length: none over ${LIMIT} lines in src/\n`);
