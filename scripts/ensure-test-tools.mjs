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

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
let updated = false;
/** Installs a Debian package when running as root on Debian; the caller checks again afterwards. */
function aptInstall(pkg, why) {
  if (!isRoot || !has('apt-get', ['--version'])) return;
  process.stderr.write(`ensure-test-tools: installing Debian package ${pkg} for ${why}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!updated) execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  updated = true;
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { stdio: 'inherit', env });
}

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!has(chromium)) {
  aptInstall('chromium', 'the browser tests');
  if (!has(chromium)) missing.push(`chromium at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)`);
}

// The OCI registry that serves oci:// charts to helm in test/manifests. A test that cannot
// start it fails: `check` must be seen to pull from a real registry.
if (!has('docker-registry', ['--version'])) {
  aptInstall('docker-registry', 'the oci:// chart tests');
  if (!has('docker-registry', ['--version'])) missing.push('docker-registry (apt-get install docker-registry)');
}

if (missing.length > 0) {
  process.stderr.write(`ensure-test-tools: the tests need:\n${missing.map((m) => `  - ${m}\n`).join('')}`);
  process.exit(1);
}
