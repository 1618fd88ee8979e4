#!/usr/bin/env node
// The vxlan-tap command line. Bad input: one line on stderr, exit 2. Runtime failure:
// one line, exit 1. Never a stack trace for either.
import { CommanderError } from 'commander';
import { ConfigError, RuntimeError, cutLongValues, printable } from '../config/errors.js';
import { buildProgram, commandNames, unknownCommand } from './program.js';

const EXIT_RUNTIME = 1;
const EXIT_USAGE = 2;

function fail(message: string, code: number): never {
  // One line of readable size, whatever the message carries (a JSON parser's excerpt may
  // hold a newline, a value may be 100 KB).
  process.stderr.write(`vxlan-tap: error: ${printable(cutLongValues(message.replace(/\s*\n\s*/g, ' ')))}\n`);
  process.exit(code);
}

// A reader that went away (`vxlan-tap fdb show | head -1`) ends the command quietly, exit
// 0, as iproute2 does; any other write error is one line, exit 1.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  fail(`cannot write the output: ${err.message}`, EXIT_RUNTIME);
});

const program = buildProgram();

/**
 * An option the command does not take. When it is one of run's (`fdb show --vni 42`), say
 * so: the commands that talk to a VTEP take only the options their own help lists.
 */
function unknownOption(message: string): string {
  const first = process.argv[2];
  const command = program.commands.find((c) => c.name() === first);
  const flag = /unknown option '([^']+)'/.exec(message)?.[1];
  if (command === undefined || command.name() === 'run' || flag === undefined) return message;
  // commander suggests from the main help too, which lists run's options: keep only a
  // suggestion this command takes.
  const takes = (long: string): boolean => [...command.options, ...program.options].some((o) => o.long === long);
  message = message.replace(/\s*\(Did you mean (--[^?]+)\?\)/, (whole, long: string) => (takes(long) ? whole : ''));
  const run = program.commands.find((c) => c.name() === 'run')!;
  const ofRun = run.options.some((o) => o.long === flag.replace(/=.*$/, ''));
  const where = `vxlan-tap help ${command.name()} lists its options`;
  return ofRun ? `${message}: it is an option of run, not of ${command.name()} (${where})` : `${message} (${where})`;
}

/** A word that run, the default command, does not take: most likely a mistyped command. */
function strayWord(word: string): ConfigError {
  if (program.args[0] === 'run') return new ConfigError(`run takes options only, not '${word}'`);
  if (commandNames(program).includes(word)) return new ConfigError(`the command '${word}' must come before the options`);
  return unknownCommand(program, word);
}

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) process.exit(0); // --help, --version
    const run = program.commands.find((c) => c.name() === 'run')!;
    if (err.code === 'commander.excessArguments' && run.args.length > 0) fail(strayWord(run.args[0]!).message, EXIT_USAGE);
    const message = err.message.replace(/^error: /, '');
    fail(err.code === 'commander.unknownOption' ? unknownOption(message) : message, EXIT_USAGE);
  }
  if (err instanceof ConfigError) fail(err.message, EXIT_USAGE);
  if (err instanceof RuntimeError) fail(err.message, EXIT_RUNTIME);
  fail(err instanceof Error ? err.message : String(err), EXIT_RUNTIME);
}
