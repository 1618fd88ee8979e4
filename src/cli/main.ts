#!/usr/bin/env node
// The vxlan-tap command line. Bad input: one line on stderr, exit 2. Runtime failure:
// one line, exit 1. Never a stack trace for either.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError, RuntimeError, cutLongValues, printable } from '../config/errors.js';
import { packageRoot } from '../io/package-root.js';
import { addRunCommand } from './run.js';
import { addDemoCommand } from './demo.js';
import { addControlCommands } from './control-commands.js';
import { addCheckCommand } from './check.js';
import { addAgentCommand } from './agent.js';

const EXIT_RUNTIME = 1;
const EXIT_USAGE = 2;

function fail(message: string, code: number): never {
  // One line of readable size, whatever the message carries (a JSON parser's excerpt may
  // hold a newline, a value may be 100 KB).
  process.stderr.write(`vxlan-tap: error: ${printable(cutLongValues(message.replace(/\s*\n\s*/g, ' ')))}\n`);
  process.exit(code);
}

const { version } = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };

const program = new Command('vxlan-tap')
  .description('a userspace VXLAN tunnel endpoint on a TAP device')
  .version(version)
  .helpCommand(false)
  .exitOverride()
  .configureOutput({ outputError: () => {} });
addRunCommand(program);
addDemoCommand(program);
addControlCommands(program);
addCheckCommand(program);
addAgentCommand(program);

const commandNames = (): string[] => program.commands.map((c) => c.name());
const unknownCommand = (name: string): ConfigError =>
  new ConfigError(`unknown command '${name}' (commands: ${commandNames().join(', ')})`);

/** A word that run, the default command, does not take: most likely a mistyped command. */
function strayWord(word: string): ConfigError {
  if (program.args[0] === 'run') return new ConfigError(`run takes options only, not '${word}'`);
  if (commandNames().includes(word)) return new ConfigError(`the command '${word}' must come before the options`);
  return unknownCommand(word);
}

// Our own `help [command]`: commander's answers an unknown name with the whole help.
program
  .command('help [command]')
  .description('display help for a command')
  .action((name?: string) => {
    if (name === undefined) return program.help();
    const command = program.commands.find((c) => c.name() === name);
    if (command === undefined) throw unknownCommand(name);
    command.help();
  });
program.commands.forEach((c) => c.exitOverride().configureOutput({ outputError: () => {} }));

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) process.exit(0); // --help, --version
    const run = program.commands.find((c) => c.name() === 'run')!;
    if (err.code === 'commander.excessArguments' && run.args.length > 0) fail(strayWord(run.args[0]!).message, EXIT_USAGE);
    fail(err.message.replace(/^error: /, ''), EXIT_USAGE);
  }
  if (err instanceof ConfigError) fail(err.message, EXIT_USAGE);
  if (err instanceof RuntimeError) fail(err.message, EXIT_RUNTIME);
  fail(err instanceof Error ? err.message : String(err), EXIT_RUNTIME);
}
