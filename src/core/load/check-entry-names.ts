import type { Problem } from '../errors.js';

/** A name the platform repo reads as YAML: `<base>.yaml` or `<base>.yml`, exactly so. */
const YAML_NAME = /^([^.].*)\.ya?ml$/;

/**
 * Why a file in clusters/, providers/, apps/ or apps/<namespace>/ is neither
 * read nor allowed, or undefined when it is read (or hidden and not YAML-like,
 * like `.gitkeep`). Whatever sits in those folders is either part of the
 * platform or an error naming it: a file skipped for its name (`c2.YAML`,
 * `app.yaml ` with a trailing space) would silently drop what it defines.
 */
export function entryNameProblem(dir: string, name: string, type: 'file' | 'dir', expect: 'yaml' | 'folder' | 'either'): Problem | undefined {
  const file = `${dir}/${name}`;
  const yamlLike = /\.ya?ml\s*$/i.test(name) || /\.ya?ml\b/i.test(name);
  if (name.startsWith('.')) {
    return yamlLike ? { code: 'GK_INVALID_NAME', file, message: 'a hidden YAML file is not read; remove the leading dot, or the file' } : undefined;
  }
  if (type === 'dir') {
    if (expect === 'yaml') return { code: 'GK_INVALID_NAME', file, message: `${dir}/ holds only <name>.yaml files, no folders` };
    return undefined;
  }
  if (YAML_NAME.test(name)) {
    return expect === 'folder'
      ? { code: 'GK_INVALID_NAME', file, message: `${dir}/ holds one folder per namespace; move this file into ${dir}/<namespace>/` }
      : undefined;
  }
  if (yamlLike) {
    const fixed = name.trim().replace(/\.(ya?ml)$/i, (_, ext: string) => `.${ext.toLowerCase()}`);
    const rename = fixed !== name && YAML_NAME.test(fixed) ? ` (rename it to ${JSON.stringify(fixed)})` : '';
    return {
      code: 'GK_INVALID_NAME',
      file,
      message: `is not read: only names ending exactly in .yaml or .yml are${rename}`,
    };
  }
  const holds =
    expect === 'folder' ? 'one folder per namespace' : expect === 'yaml' ? 'only <name>.yaml files' : 'only <app>.yaml files, app folders and namespace.yaml';
  return { code: 'GK_INVALID_NAME', file, message: `is not part of the platform repo: ${dir}/ holds ${holds}; move it elsewhere` };
}
