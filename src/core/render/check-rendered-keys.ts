import { GitopsError, type ErrorCode } from '../errors.js';
import type { AppKeys } from '../model.js';
import { normalizeRepoPath } from '../../sources/repo-files.js';

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_NAME_ENDS = 'starting and ending with a letter or digit (with an optional DNS prefix and /)';
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export type Report = (code: ErrorCode, path: (string | number)[], message: string) => void;

/** Why `key` is not a Kubernetes label key, or undefined. */
function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return `label key prefix ${JSON.stringify(prefix)} must be a DNS subdomain of at most 253 characters`;
  if (name.length > 63 || !LABEL_NAME.test(name))
    return `label key ${JSON.stringify(key)} must be a name of at most 63 letters, digits, -, _ or ., ${LABEL_NAME_ENDS}`;
  return undefined;
}

/**
 * Checks on app keys after templating (`raw`: the same keys before). The
 * schemas check what files say, but `{{vars.x}}` can still become a label value over 63 characters or a
 * path out of its repository, so the rendered values are checked again.
 */
export function checkRenderedKeys(keys: AppKeys, raw: AppKeys, report: Report): void {
  for (const [key, value] of Object.entries(keys.labels ?? {})) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) report('GK_INVALID_VALUE', ['labels', key], keyProblem);
    if (value === null || value === undefined) continue;
    if (value.length > 63 || (value !== '' && !LABEL_NAME.test(value))) {
      report(
        'GK_INVALID_VALUE',
        ['labels', key],
        `label value ${JSON.stringify(value)} must be at most 63 letters, digits, -, _ or ., starting and ending with a letter or digit`,
      );
    }
  }
  const checkPath = (p: unknown, at: (string | number)[], what: string): void => {
    if (typeof p !== 'string') return;
    try {
      normalizeRepoPath(p);
    } catch (error) {
      if (!(error instanceof GitopsError)) throw error;
      report('GK_PATH_ESCAPE', at, `${error.problems[0]!.message} (${what})`);
    }
  };
  // A path as written is checked where it is read (with its folder's existence); here only what templating made of it.
  if (keys.path !== raw.path) checkPath(keys.path, ['path'], keys.repoURL === undefined ? 'a folder of the platform repo' : 'a folder of its repoURL');
  (keys.valueFiles ?? []).forEach((file, i) => {
    // `..` inside is refused too: a values file is one of the chart's own files.
    if (typeof file === 'string' && file.split('/').includes('..'))
      report('GK_PATH_ESCAPE', ['valueFiles', i], `value file ${JSON.stringify(file)} may not hold ..; give a file of the chart's own source`);
    else checkPath(file, ['valueFiles', i], "a file of the chart's own source");
  });
}
