/**
 * The `path` parameter object of Argo CD's Git generator, computed as Argo CD
 * v3 computes it (applicationset/generators/git.go, goTemplate mode):
 * directories give `path`, `basename`, `basenameNormalized`, `segments`;
 * files add `filename` and `filenameNormalized`, with `path` the file's folder.
 */
export interface ArgoPathParams {
  path: string;
  basename: string;
  basenameNormalized: string;
  segments: string[];
  filename?: string;
  filenameNormalized?: string;
}

/** Go's path.Base: the last element, trailing slashes removed; "." for empty, "/" for all slashes. */
export function goPathBase(p: string): string {
  if (p === '') return '.';
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** Go's path.Dir: everything but the last element, cleaned; "." when there is no slash. */
export function goPathDir(p: string): string {
  const i = p.lastIndexOf('/');
  const dir = i < 0 ? '' : p.slice(0, i + 1);
  return goPathClean(dir);
}

/** Go's path.Clean, enough of it for repository paths. */
export function goPathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  return rooted ? `/${joined}` : joined || '.';
}

/**
 * Argo CD's utils.SanitizeName: lower case, anything but `[-a-z0-9.]`
 * becomes `-`, at most 253 bytes, `-` and `.` trimmed from both ends.
 */
export function sanitizeName(name: string): string {
  let out = name.toLowerCase().replace(/[^-a-z0-9.]/gu, '-');
  if (out.length > 253) out = out.slice(0, 253);
  return out.replace(/^[-.]+|[-.]+$/g, '');
}

/** The directory generator's params for a folder. */
export function directoryPathParams(dir: string): ArgoPathParams {
  const base = goPathBase(dir);
  return { path: dir, basename: base, basenameNormalized: sanitizeName(base), segments: dir.split('/') };
}

/** The files generator's params for a file. */
export function filePathParams(file: string): ArgoPathParams {
  const dir = goPathDir(file);
  const base = goPathBase(dir);
  const filename = goPathBase(file);
  return {
    path: dir,
    basename: base,
    filename,
    basenameNormalized: sanitizeName(base),
    filenameNormalized: sanitizeName(filename),
    segments: dir.split('/'),
  };
}
