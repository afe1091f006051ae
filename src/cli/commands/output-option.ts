import { Option } from 'commander';

/**
 * The `-o, --output <format>` option every command that prints takes, the
 * same way: commander refuses a format not in `formats` (a usage error, exit 2)
 * and `--help` lists them with the default.
 */
export function createOutputOption(formats: readonly string[], defaultFormat: string): Option {
  return new Option('-o, --output <format>', 'output format').choices(formats).default(defaultFormat);
}
