import { type Command, CommanderError } from 'commander';
import { type CliIO, EXIT_OK, reportError } from './cli-io.js';

/**
 * The CommanderError code by which a command hands a non-zero exit code to
 * runCli: with exitOverride, commander ends a run by throwing, and a command
 * ends the same way, so no exit code is kept anywhere while it runs.
 */
export const COMMAND_EXIT = 'gitops-k8s.exit';

/** Runs a command with commander's arguments and options; resolves to its exit code. */
export type CommandRun<Args extends unknown[]> = (...args: Args) => number | Promise<number>;

export interface CommandDefinition<Args extends unknown[]> {
  /** The command as registered with `program.command(name)`: description, arguments, options, help. */
  command: Command;
  run: CommandRun<Args>;
  /**
   * The exit code of an error `run` threw, once reportError has printed it
   * (which rethrows anything but a GitopsError: a bug, exit 70). Default: reportError's.
   */
  exitCodeOf?: (reported: number) => number;
}

/**
 * Makes `run` the command's action, with the error reporting and the exit
 * code of every command in one place.
 */
export function defineCommand<Args extends unknown[]>(io: CliIO, definition: CommandDefinition<Args>): Command {
  const { command, run, exitCodeOf = (reported: number) => reported } = definition;
  return command.action(async (...args: unknown[]) => {
    let code: number;
    try {
      // Commander passes the command itself last; no command reads it.
      code = await run(...(args.slice(0, -1) as Args));
    } catch (error) {
      code = exitCodeOf(reportError(io, error));
    }
    if (code !== EXIT_OK) throw new CommanderError(code, COMMAND_EXIT, `exit ${code}`);
  });
}
