import { entryNameProblem } from './check-entry-names.js';
import { checkPlainData } from './check-plain-data.js';
import { isDnsLabel } from './dns-label.js';
import type { ProblemCollector } from '../errors.js';
import { isPlainObject } from '../layering/merge.js';
import { defaultYamlLimits, parseYamlFile, type YamlFile, type YamlLimits } from '../yaml/parse-yaml.js';
import type { ParseCache } from '../yaml/parse-cache.js';
import type { RepoFiles } from '../../sources/repo-files.js';
import { validateAgainst, type SchemaName } from '../schema/validate.js';

/** A YAML file name: `<base>.yaml` or `<base>.yml`. */
export const YAML_FILE = /^(.+)\.ya?ml$/;

/** A `<base>.yaml` file of a folder that holds only such files. */
export interface YamlEntry {
  base: string;
  file: string;
}

/**
 * How one load reads the platform repo's files: every file kind's reader goes
 * through it, so that the file count, the limits and the problems are those of
 * the whole load.
 */
export interface RepoReader {
  readonly repo: RepoFiles;
  readonly problems: ProblemCollector;
  /** The parsed file, or undefined when it has a problem (reported) or the repo holds too many files. */
  readYaml(file: string): YamlFile | undefined;
  /** The file's data when it is a map that `schema` accepts (an empty file is an empty map); its problems are reported. */
  checkMap(yaml: YamlFile, schema: SchemaName, what: string): Record<string, unknown> | undefined;
  /** The `<base>.yaml` files of `dir`, reporting names that are not read and bases given twice. */
  yamlEntries(dir: string): YamlEntry[];
  /** Limits gitops.yaml sets (already within their ceiling), for the files read after it. */
  applyLimits(limits: { maxFileBytes?: number; maxFiles?: number }): void;
}

/** Options of {@link createRepoReader}: those of the load. */
export interface RepoReaderOptions {
  limits?: YamlLimits;
  maxFiles?: number;
  parseCache?: ParseCache;
}

export function createRepoReader(repo: RepoFiles, problems: ProblemCollector, options: RepoReaderOptions): RepoReader {
  let filesRead = 0;
  let maxFiles = options.maxFiles ?? 20_000;
  let limits: YamlLimits = { ...options.limits };

  const parse = (file: string): { yaml: YamlFile; problems: ReturnType<typeof checkPlainData> } => {
    const read = (): Buffer => repo.read(file, limits.maxFileBytes ?? defaultYamlLimits.maxFileBytes);
    const id = options.parseCache && repo.contentId?.(file);
    if (id) return options.parseCache!.parse(id, file, limits, read, checkPlainData);
    const yaml = parseYamlFile(file, read(), limits);
    return { yaml, problems: checkPlainData(yaml) };
  };

  return {
    repo,
    problems,
    readYaml(file) {
      if (++filesRead > maxFiles) {
        if (filesRead === maxFiles + 1) {
          problems.push({
            code: 'GK_REPO_TOO_LARGE',
            file,
            message: `more than ${maxFiles} YAML files; raise limits.maxFiles in gitops.yaml if this is intended`,
          });
        }
        return undefined;
      }
      const parsed = problems.capture(() => parse(file));
      if (!parsed) return undefined;
      problems.push(...parsed.problems);
      return parsed.problems.length === 0 ? parsed.yaml : undefined;
    },
    checkMap(yaml, schema, what) {
      const data = yaml.data ?? {};
      if (!isPlainObject(data)) {
        problems.push({ code: 'GK_INVALID_VALUE', file: yaml.file, line: yaml.lineOf([]), message: `must be a map of ${what} keys` });
        return undefined;
      }
      const found = validateAgainst(schema, yaml, data);
      problems.push(...found);
      return found.length === 0 ? data : undefined;
    },
    yamlEntries(dir) {
      const entries = problems.capture(() => repo.list(dir)) ?? [];
      const out: YamlEntry[] = [];
      const seen = new Map<string, string>();
      for (const entry of entries) {
        const wrong = entryNameProblem(dir, entry.name, entry.type, 'yaml');
        if (wrong) problems.push(wrong);
        const m = YAML_FILE.exec(entry.name);
        if (wrong || entry.type !== 'file' || !m || entry.name.startsWith('.')) continue;
        const file = `${dir}/${entry.name}`;
        const other = seen.get(m[1]!);
        if (other) {
          problems.push({ code: 'GK_NAME_COLLISION', file, message: `${other} defines the same name; keep one of them` });
          continue;
        }
        seen.set(m[1]!, file);
        out.push({ base: m[1]!, file });
      }
      return out;
    },
    applyLimits(raised) {
      if (raised.maxFileBytes !== undefined) limits = { ...limits, maxFileBytes: raised.maxFileBytes };
      if (raised.maxFiles !== undefined) maxFiles = raised.maxFiles;
    },
  };
}

/**
 * A file whose name is the thing's name (`clusters/<name>.yaml`, `environments/<name>.yaml`): its
 * YAML and data when it parses, the name is a DNS-1123 label and `schema` accepts it; its problems
 * are reported.
 */
export function readNamedFile(
  reader: RepoReader,
  entry: YamlEntry,
  schema: 'cluster' | 'environment',
): { yaml: YamlFile; data: Record<string, unknown> } | undefined {
  const yaml = reader.readYaml(entry.file);
  if (!yaml) return undefined;
  if (!isDnsLabel(entry.base, 63)) {
    reader.problems.push({
      code: 'GK_INVALID_NAME',
      file: entry.file,
      message: `${schema} name ${JSON.stringify(entry.base)} (from the file name) must be a DNS-1123 label of at most 63 characters`,
    });
    return undefined;
  }
  const data = reader.checkMap(yaml, schema, schema);
  return data ? { yaml, data } : undefined;
}
