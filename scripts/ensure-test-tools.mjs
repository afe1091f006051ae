#!/usr/bin/env node
// Runs before `npm test`: the tests drive real tools (git, kubectl, Chromium),
// so a missing one should fail here with its fix, not deep inside a test.
// On CI and these machines (root, Debian) a missing Chromium is installed
// from Debian's packages; elsewhere the message says what to install.
import { execFileSync, spawnSync } from 'node:child_process';

const has = (cmd, args = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const missing = [];

if (!has('git')) missing.push('git (apt-get install git)');
if (!has('kubectl', ['version', '--client'])) missing.push('kubectl (https://kubernetes.io/docs/tasks/tools/)');

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!has(chromium)) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && has('apt-get', ['--version'])) {
    process.stderr.write('ensure-test-tools: installing Debian package chromium for the browser tests\n');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
  }
  if (!has(chromium)) missing.push(`chromium at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)`);
}

if (missing.length > 0) {
  process.stderr.write(`ensure-test-tools: the tests need:\n${missing.map((m) => `  - ${m}\n`).join('')}`);
  process.exit(1);
}
