#!/usr/bin/env node
// Runs before `npm test`: the tests drive real tools (git, kubectl, Chromium,
// Lua 5.1), so a missing one should fail here with its fix, not deep inside a
// test. On CI and these machines (root, Debian) a missing Chromium or Lua is
// installed from Debian's packages; elsewhere the message says what to install.
import { execFileSync, spawnSync } from 'node:child_process';

const has = (cmd, args = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const canApt = isRoot && has('apt-get', ['--version']);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
let aptUpdated = false;
const missing = [];

/** Installs a Debian package when root with apt-get; the caller checks the tool again afterwards. */
function aptInstall(pkg, why) {
  if (!canApt) return;
  process.stderr.write(`ensure-test-tools: installing Debian package ${pkg} for ${why}\n`);
  if (!aptUpdated) {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    aptUpdated = true;
  }
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { stdio: 'inherit', env });
}

if (!has('git')) missing.push('git (apt-get install git)');
if (!has('kubectl', ['version', '--client'])) missing.push('kubectl (https://kubernetes.io/docs/tasks/tools/)');

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!has(chromium)) {
  aptInstall('chromium', 'the browser tests');
  if (!has(chromium)) missing.push(`chromium at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)`);
}

// The Application health check (manifests/install/application-health.lua) is
// tested with Lua 5.1, the language of gopher-lua that Argo CD runs it in.
const lua = process.env.LUA51_PATH ?? 'lua5.1';
if (!has(lua, ['-v'])) {
  aptInstall('lua5.1', 'the Application health check test');
  if (!has(lua, ['-v'])) missing.push(`${lua} (apt-get install lua5.1, or set LUA51_PATH)`);
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
