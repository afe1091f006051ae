import { GitopsError, type Problem, type ProblemCollector } from '../errors.js';
import type { AppKeys } from '../model.js';
import { fieldOf } from '../schema/validate.js';
import type { YamlFile } from '../yaml/parse-yaml.js';
import { normalizeRepoPath, type RepoFiles } from '../../sources/repo-files.js';

type FieldPath = (string | number)[];

/**
 * The `path` keys of app keys at `at` of `yaml` (the keys' own and their
 * overrides'): a path in the platform repo must be a folder in it; a path
 * elsewhere may not climb out of its repo.
 */
export function checkPaths(repo: RepoFiles, keys: AppKeys | undefined, yaml: YamlFile | undefined, at: FieldPath, problems: ProblemCollector): void {
  if (!keys || !yaml) return;
  checkPath(repo, keys.path, yaml, [...at, 'path'], keys.repoURL !== undefined, problems);
  for (const kind of ['providers', 'environments', 'clusters'] as const) {
    for (const [name, override] of Object.entries(keys.overrides?.[kind] ?? {})) {
      checkPath(repo, override.path, yaml, [...at, 'overrides', kind, name, 'path'], (override.repoURL ?? keys.repoURL) !== undefined, problems);
    }
  }
}

function checkPath(repo: RepoFiles, p: string | undefined, yaml: YamlFile, where: FieldPath, external: boolean, problems: ProblemCollector): void {
  if (p === undefined || p === null) return;
  // Lines cost a positional parse: only work them out for a problem.
  const locate = (): { file: string; line?: number; field: string } => ({ file: yaml.file, line: yaml.lineOf(where), field: fieldOf(where) });
  const normal = relocate(
    () => normalizeRepoPath(p, { file: yaml.file, field: fieldOf(where) }),
    problems,
    (problem) => ({ ...problem, ...locate() }),
  );
  if (normal === undefined || external) return;
  const kind = relocate(
    () => repo.kind(normal) ?? 'none',
    problems,
    (problem) => ({
      ...problem,
      ...locate(),
      message: `path ${JSON.stringify(p)}: ${problem.file ?? ''} ${problem.message}`.replace(/ {2,}/, ' '),
    }),
  );
  if (kind === undefined || kind === 'dir') return;
  problems.push({
    code: 'GK_NOT_FOUND',
    ...locate(),
    message:
      `${kind === 'file' ? 'is a file' : 'no such folder'} ${JSON.stringify(normal)} in the platform repo; ` +
      'a path without repoURL is a folder of this repo, relative to its root',
  });
}

/** Runs `fn`, reporting a thrown GitopsError's problems as `move` places them; undefined then. */
function relocate<T>(fn: () => T, problems: ProblemCollector, move: (problem: Problem) => Problem): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof GitopsError)) throw error;
    problems.push(...error.problems.map(move));
    return undefined;
  }
}
