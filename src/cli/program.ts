// The command tree of vxlan-tap: every command with its options, help text and examples.
// main.ts parses the command line with it; the shell completion and the man page are
// generated from it, so that none of them can drift from the others.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { ConfigError } from '../config/errors.js';
import { packageRoot } from '../io/package-root.js';
import { addRunCommand } from './run.js';
import { addDemoCommand } from './demo.js';
import { addControlCommands } from './control-commands.js';
import { addCheckCommand } from './check.js';
import { addAgentCommand } from './agent.js';
import { addCompletionCommand } from './completion.js';
import { examples } from './help-text.js';

export const commandNames = (program: Command): string[] => program.commands.map((c) => c.name());

export const unknownCommand = (program: Command, name: string): ConfigError =>
  new ConfigError(`unknown command '${name}' (commands: ${commandNames(program).join(', ')})`);

export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** The whole command line, each command failing by exception (exitOverride), not by exit. */
export function buildProgram(): Command {
  const program = new Command('vxlan-tap')
    .description('a userspace VXLAN tunnel endpoint on a TAP device')
    .version(packageVersion())
    .helpCommand(false)
    .exitOverride()
    .configureOutput({ outputError: () => {} });
  addRunCommand(program);
  addDemoCommand(program);
  addControlCommands(program);
  addCheckCommand(program);
  addAgentCommand(program);
  addCompletionCommand(program);

  // Our own `help [command]`: commander's answers an unknown name with the whole help.
  program
    .command('help [command]')
    .description('display help for a command')
    .addHelpText('after', examples('vxlan-tap help fdb'))
    .action((name?: string) => {
      if (name === undefined) return program.help();
      const command = program.commands.find((c) => c.name() === name);
      if (command === undefined) throw unknownCommand(program, name);
      command.help();
    });
  program.commands.forEach((c) => c.exitOverride().configureOutput({ outputError: () => {} }));
  return program;
}
