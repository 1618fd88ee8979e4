// The command tree as plain data: each command, its options and the values they take, read
// from the commander commands themselves. The shell completions and the man page are
// written from it.
import type { EventEmitter } from 'node:events';
import type { Command, Option } from 'commander';

/** What an option's value (or a command's argument) may be, as a shell completes it. */
export type ValueKind = { kind: 'none' } | { kind: 'free' } | { kind: 'file' } | { kind: 'interface' } | { kind: 'words'; words: string[] };

export interface TreeOption {
  long: string;
  short?: string;
  /** `--vni <vni>`, as the help shows it. */
  flags: string;
  description: string;
  value: ValueKind;
  repeatable: boolean;
}

export interface TreeCommand {
  name: string;
  description: string;
  usage: string;
  options: TreeOption[];
  /** The words the first argument takes, where the command names them. */
  firstArgument?: ValueKind;
  /** The text after the options in the command's help (its examples). */
  helpAfter: string;
  isDefault: boolean;
}

// Placeholders that stand for a value of the user's inside a list of choices: `<n|auto|inherit>`.
const PLACEHOLDERS = new Set(['n', 'mac', 'us']);

function valueOf(option: Option): ValueKind {
  if (option.isBoolean() || option.negate) return { kind: 'none' };
  if (option.argChoices !== undefined) return { kind: 'words', words: option.argChoices };
  const placeholder = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1] ?? '';
  if (placeholder === 'file' || placeholder === 'path') return { kind: 'file' };
  if (placeholder === 'ifname' || placeholder === 'dev') return { kind: 'interface' };
  if (placeholder.includes('|')) {
    const words = placeholder.split('|').filter((w) => /^[a-z][a-z-]*$/.test(w) && !PLACEHOLDERS.has(w));
    if (words.length > 0) return { kind: 'words', words };
  }
  return { kind: 'free' };
}

/** `show, add, append, replace, del or flush` -> the words; anything else names no words. */
function wordsOf(description: string): ValueKind | undefined {
  const words = description.split(/, | or /);
  return words.length > 1 && words.every((w) => /^[a-z][a-z0-9-]*$/.test(w)) ? { kind: 'words', words } : undefined;
}

/** The text added after a command's help (its examples): what its afterHelp listeners write. */
function helpAfter(command: Command): string {
  let text = '';
  (command as unknown as EventEmitter).emit('afterHelp', { error: false, command, write: (s: string) => void (text += s) });
  return text.replace(/^\n+|\n+$/g, '');
}

export function treeOf(program: Command): TreeCommand[] {
  const defaultName = (program as unknown as { _defaultCommandName?: string })._defaultCommandName;
  return program.commands.map((command) => {
    const first = command.registeredArguments[0];
    const names = first?.name() === 'command' ? { kind: 'words' as const, words: program.commands.map((c) => c.name()) } : undefined;
    return {
      name: command.name(),
      description: command.description(),
      usage: command.usage(),
      isDefault: command.name() === defaultName,
      options: command.options
        .filter((o) => !o.hidden && o.long !== undefined)
        .map((o) => ({
          long: o.long!,
          ...(o.short === undefined ? {} : { short: o.short }),
          flags: o.flags,
          description: o.description,
          value: valueOf(o),
          repeatable: /\(repeatable\)/.test(o.description),
        })),
      ...(first === undefined ? {} : { firstArgument: names ?? (first.argChoices ? { kind: 'words', words: first.argChoices } : wordsOf(first.description)) ?? { kind: 'free' } }),
      helpAfter: helpAfter(command),
    };
  });
}
