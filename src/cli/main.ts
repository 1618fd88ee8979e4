#!/usr/bin/env node
// The vxlan-tap command line. Bad input: one line on stderr, exit 2. Runtime failure:
// one line, exit 1. Never a stack trace for either.
import { Command, CommanderError } from 'commander';
import { ConfigError, RuntimeError } from '../config/errors.js';
import { addRunCommand } from './run.js';
import { addDemoCommand } from './demo.js';
import { addControlCommands } from './control-commands.js';
import { addCheckCommand } from './check.js';

const EXIT_RUNTIME = 1;
const EXIT_USAGE = 2;

function fail(message: string, code: number): never {
  process.stderr.write(`vxlan-tap: error: ${message}\n`);
  process.exit(code);
}

const program = new Command('vxlan-tap')
  .description('a userspace VXLAN tunnel endpoint on a TAP device')
  .exitOverride()
  .configureOutput({ outputError: () => {} });
addRunCommand(program);
addDemoCommand(program);
addControlCommands(program);
addCheckCommand(program);
program.commands.forEach((c) => c.exitOverride().configureOutput({ outputError: () => {} }));

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) process.exit(0); // --help, --version
    fail(err.message.replace(/^error: /, ''), EXIT_USAGE);
  }
  if (err instanceof ConfigError) fail(err.message, EXIT_USAGE);
  if (err instanceof RuntimeError) fail(err.message, EXIT_RUNTIME);
  fail(err instanceof Error ? err.message : String(err), EXIT_RUNTIME);
}
