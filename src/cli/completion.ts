// `vxlan-tap completion bash|zsh|fish`: a completion script for the shell, written from the
// command tree (command-tree.ts), so it knows every command and option the program has.
import { Argument, type Command } from 'commander';
import { treeOf, type TreeCommand, type TreeOption, type ValueKind } from './command-tree.js';
import { examples } from './help-text.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const NAME = 'vxlan-tap';

/** Single-quoted for any of the three shells (fish and POSIX shells agree on '\''). */
const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;
const firstLine = (s: string): string => s.split('\n')[0]!.replace(/\s+/g, ' ').trim();
/** A description short enough for a completion menu: up to the first colon, semicolon or parenthesis. */
const short = (s: string): string => {
  const cut = firstLine(s).split(/[:;(]/)[0]!.trim();
  return cut.length > 70 ? `${cut.slice(0, 67)}...` : cut;
};

function bashValue(value: ValueKind): string {
  switch (value.kind) {
    case 'words':
      return `COMPREPLY=($(compgen -W ${quote(value.words.join(' '))} -- "$cur"))`;
    case 'file':
      return 'COMPREPLY=($(compgen -f -- "$cur"))';
    case 'interface':
      return 'COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur"))';
    default:
      return 'COMPREPLY=()';
  }
}

function bash(tree: TreeCommand[]): string {
  const names = tree.map((c) => c.name);
  const defaultCommand = tree.find((c) => c.isDefault)!.name;
  const lines = [
    `# bash completion for ${NAME}, written by \`${NAME} completion bash\` from its command tree.`,
    `#   ${NAME} completion bash > /etc/bash_completion.d/${NAME}   (or: source <(${NAME} completion bash))`,
    '_vxlan_tap() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
    `  local cmd=${defaultCommand} first=2`,
    '  case "${COMP_WORDS[1]}" in',
    `    ${names.join('|')}) cmd="\${COMP_WORDS[1]}" ;;`,
    `    *) first=1 ;;`,
    '  esac',
    '  if [[ $COMP_CWORD -eq 1 && $cur != -* ]]; then',
    `    COMPREPLY=($(compgen -W ${quote(names.join(' '))} -- "$cur"))`,
    '    return',
    '  fi',
    '  case "$cmd $prev" in',
  ];
  for (const command of tree) {
    for (const option of command.options.filter((o) => o.value.kind !== 'none')) {
      const flags = [option.long, option.short].filter((f) => f !== undefined).map((f) => `${command.name}\\ ${f}`);
      lines.push(`    ${flags.join('|')}) ${bashValue(option.value)}; return ;;`);
    }
  }
  lines.push('  esac', '  if [[ $cur == -* ]]; then', '    case "$cmd" in');
  for (const command of tree) {
    lines.push(`      ${command.name}) COMPREPLY=($(compgen -W ${quote(command.options.map((o) => o.long).join(' '))} -- "$cur")) ;;`);
  }
  lines.push('    esac', '    return', '  fi', '  # The first argument of a command that names its words.', '  if [[ $COMP_CWORD -eq $first ]]; then', '    case "$cmd" in');
  for (const command of tree.filter((c) => c.firstArgument?.kind === 'words')) lines.push(`      ${command.name}) ${bashValue(command.firstArgument!)} ;;`);
  lines.push('    esac', '  fi', '}', `complete -F _vxlan_tap ${NAME}`, '');
  return lines.join('\n');
}

/** An _arguments spec: `'*--peer[remote VTEP]:ip:'`. */
function zshSpec(option: TreeOption): string {
  const description = short(option.description).replace(/[[\]\\]/g, '\\$&');
  const name = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1]?.replace(/[:|]/g, ' or ') ?? 'value';
  const action =
    option.value.kind === 'none'
      ? ''
      : `:${name}:${option.value.kind === 'words' ? `(${option.value.words.join(' ')})` : option.value.kind === 'file' ? '_files' : option.value.kind === 'interface' ? '_net_interfaces' : ' '}`;
  return quote(`${option.repeatable ? '*' : ''}${option.long}[${description}]${action}`);
}

function zsh(tree: TreeCommand[]): string {
  const defaultCommand = tree.find((c) => c.isDefault)!.name;
  const lines = [
    `#compdef ${NAME}`,
    `# zsh completion for ${NAME}, written by \`${NAME} completion zsh\` from its command tree.`,
    `#   ${NAME} completion zsh > "\${fpath[1]}/_${NAME}"   (or: source <(${NAME} completion zsh))`,
    `_${NAME}() {`,
    '  local -a commands',
    '  commands=(',
    ...tree.map((c) => `    ${quote(`${c.name}:${short(c.description).replace(/:/g, '\\:')}`)}`),
    '  )',
    "  if (( CURRENT == 2 )) && [[ $words[CURRENT] != -* ]]; then",
    "    _describe -t commands command commands",
    '    return',
    '  fi',
    `  local cmd=${defaultCommand}`,
    `  if (( \${commands[(I)\${words[2]}:*]} )); then`,
    '    cmd=$words[2]',
    '    shift words',
    '    (( CURRENT-- ))',
    '  fi',
    '  case $cmd in',
  ];
  for (const command of tree) {
    const specs = command.options.map(zshSpec);
    if (command.firstArgument !== undefined) {
      const first = command.firstArgument;
      specs.push(quote(`1:argument:${first.kind === 'words' ? `(${first.words.join(' ')})` : ' '}`), quote('*:word: '));
    }
    lines.push(`    ${command.name})`, `      _arguments -s ${specs.join(' \\\n        ')} ;;`);
  }
  lines.push('  esac', '}', `if [[ "\${funcstack[1]}" == "_${NAME}" ]]; then`, `  _${NAME} "$@"`, 'else', `  compdef _${NAME} ${NAME}`, 'fi', '');
  return lines.join('\n');
}

function fish(tree: TreeCommand[]): string {
  const names = tree.map((c) => c.name).join(' ');
  const lines = [
    `# fish completion for ${NAME}, written by \`${NAME} completion fish\` from its command tree.`,
    `#   ${NAME} completion fish > ~/.config/fish/completions/${NAME}.fish`,
    `complete -c ${NAME} -f`,
  ];
  for (const command of tree) lines.push(`complete -c ${NAME} -n '__fish_use_subcommand' -a ${command.name} -d ${quote(short(command.description))}`);
  for (const command of tree) {
    // The default command's options may follow vxlan-tap at once.
    const when = command.isDefault ? `not __fish_seen_subcommand_from ${names.replace(new RegExp(`\\b${command.name}\\b ?`), '')}` : `__fish_seen_subcommand_from ${command.name}`;
    for (const option of command.options) {
      const parts = [`complete -c ${NAME} -n ${quote(when)} -l ${option.long.slice(2)}`];
      if (option.short !== undefined) parts.push(`-s ${option.short.slice(1)}`);
      const v = option.value;
      if (v.kind === 'words') parts.push(`-x -a ${quote(v.words.join(' '))}`);
      else if (v.kind === 'file') parts.push('-r -F');
      else if (v.kind === 'interface') parts.push(`-x -a '(__fish_print_interfaces)'`);
      else if (v.kind === 'free') parts.push('-x');
      parts.push(`-d ${quote(short(option.description))}`);
      lines.push(parts.join(' '));
    }
    const first = command.firstArgument;
    if (first?.kind === 'words') {
      lines.push(`complete -c ${NAME} -n ${quote(`__fish_seen_subcommand_from ${command.name}; and not __fish_seen_subcommand_from ${first.words.join(' ')}`)} -a ${quote(first.words.join(' '))}`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

export function completionScript(program: Command, shell: Shell): string {
  const tree = treeOf(program);
  return shell === 'bash' ? bash(tree) : shell === 'zsh' ? zsh(tree) : fish(tree);
}

export function addCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('print the shell completion script for bash, zsh or fish')
    .addArgument(new Argument('<shell>', SHELLS.join(', ').replace(/, (?=[^,]*$)/, ' or ')).choices(SHELLS))
    .addHelpText(
      'after',
      examples(
        `${NAME} completion bash > /etc/bash_completion.d/${NAME}`,
        `${NAME} completion zsh > /usr/local/share/zsh/site-functions/_${NAME}`,
        `${NAME} completion fish > ~/.config/fish/completions/${NAME}.fish`,
      ),
    )
    .action((shell: Shell) => void process.stdout.write(completionScript(program, shell)));
}
