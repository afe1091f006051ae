import { GitopsError, formatProblem } from '../core/errors.js';

/** What a command reads and writes; tests pass their own. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Exit codes: 0 ok, 1 invalid input, 2 usage. Others are documented per command. */
export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

/** Writes an error to stderr, one problem per line, and returns the exit code it deserves. */
export function reportError(io: CliIO, error: unknown): number {
  if (error instanceof GitopsError) {
    for (const problem of error.problems) io.stderr(`${formatProblem(problem)}\n`);
    const count = error.problems.length;
    if (count > 1) io.stderr(`${count} problems\n`);
    return error.code === 'GK_USAGE' ? EXIT_USAGE : EXIT_INVALID;
  }
  throw error;
}

/** Splits repeatable, comma-separated option values: `--cluster a,b --cluster c`. */
export function splitList(values: readonly string[] | string | undefined): string[] {
  const list = values === undefined ? [] : Array.isArray(values) ? values : [values as string];
  return list
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
