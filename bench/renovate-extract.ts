/**
 * bench/renovate-extract: runs Renovate itself over a platform repo with the
 * preset renovate/gitops-k8s.json and prints what it extracts, to check the
 * preset's custom managers the way Renovate applies them (RE2, templates,
 * match strategies). Renovate runs with `--platform=local` and
 * `--dry-run=extract`: it reads the files and stops before any lookup, so
 * nothing reaches the network but the one-time install.
 *
 *   npm run build && npm run bench:renovate [-- PLATFORM_DIR]
 *
 * Renovate is not a devDependency (hundreds of MiB): the first run installs
 * it with `npm install --no-save` into bench/.work/renovate. Renovate 39 is
 * the last major that runs on Node 20. Environment: RENOVATE_VERSION (39).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, existsSync(path.join(here, '../package.json')) ? '..' : '../..');
const cache = path.join(root, 'bench/.work/renovate');
const version = process.env.RENOVATE_VERSION ?? '39';
const platform = path.resolve(process.argv[2] ?? path.join(root, 'examples/platform'));
const preset = JSON.parse(readFileSync(path.join(root, 'renovate/gitops-k8s.json'), 'utf8')) as Record<string, unknown>;

const bin = path.join(cache, 'node_modules/.bin/renovate');
if (!existsSync(bin)) {
  mkdirSync(cache, { recursive: true });
  console.error(`installing renovate@${version} into ${path.relative(root, cache)} (once)`);
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', cache, `renovate@${version}`], { stdio: 'inherit' });
}

// Renovate's local platform works on the current directory, a Git work tree.
const work = mkdtempSync(path.join(tmpdir(), 'gk-renovate-'));
try {
  cpSync(platform, work, { recursive: true });
  writeFileSync(path.join(work, 'renovate.json'), `${JSON.stringify({ ...preset, $schema: undefined }, null, 2)}\n`);
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: work });
  execFileSync('git', ['add', '-A'], { cwd: work });
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '-m', 'platform'], { cwd: work });
  const report = path.join(work, '.renovate-report.json');
  execFileSync(bin, ['--platform=local', '--dry-run=extract', '--report-type=file', `--report-path=${report}`], {
    cwd: work,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'warn', RENOVATE_BASE_DIR: path.join(cache, 'base'), RENOVATE_ONBOARDING: 'false', RENOVATE_REQUIRE_CONFIG: 'optional' },
  });
  type Dep = { depName?: string; packageName?: string; currentValue?: string; datasource?: string; registryUrls?: string[]; skipReason?: string };
  type PackageFile = { packageFile: string; deps: Dep[] };
  const repos = (JSON.parse(readFileSync(report, 'utf8')) as { repositories: Record<string, { packageFiles: Record<string, PackageFile[]> }> }).repositories;
  const rows: string[][] = [];
  for (const repo of Object.values(repos)) {
    for (const [manager, files] of Object.entries(repo.packageFiles)) {
      for (const file of files) {
        for (const dep of file.deps) {
          rows.push([
            file.packageFile,
            manager,
            dep.datasource ?? '',
            dep.packageName ?? dep.depName ?? '',
            dep.currentValue ?? '',
            dep.registryUrls?.join(' ') ?? '',
            dep.skipReason ?? '',
          ]);
        }
      }
    }
  }
  rows.sort((a, b) => a[0]!.localeCompare(b[0]!) || a[4]!.localeCompare(b[4]!));
  console.log(
    `Renovate ${execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()} ` +
      `over ${path.relative(process.cwd(), platform) || '.'}: ${rows.length} dependencies`,
  );
  console.log('| file | manager | datasource | package | version | registry | skipped |\n|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
