// vxlan-tap(1), written in roff from the command tree (command-tree.ts): every command with
// its options and examples, as the help shows them. scripts/man-page.mjs writes it to
// dist/man/vxlan-tap.1 when the package is built or packed.
import type { Command } from 'commander';
import { treeOf, type TreeCommand } from './command-tree.js';

/** Text for roff: backslashes and hyphens escaped, no line starting with a control character. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

const bold = (text: string): string => `\\fB${roff(text)}\\fR`;

function commandSection(command: TreeCommand): string[] {
  const lines = ['.SS ' + `"${command.name}${command.isDefault ? ' (the default command)' : ''}"`];
  lines.push('.PP', `${bold(`vxlan-tap ${command.name}`)} ${roff(command.usage)}`, '.PP', roff(command.description));
  for (const option of command.options) lines.push('.TP', bold(option.flags), roff(option.description));
  if (command.helpAfter !== '') lines.push('.PP', '.nf', roff(command.helpAfter.replace(/^\n+/, '')), '.fi');
  return lines;
}

export function manPage(program: Command, version: string): string {
  const tree = treeOf(program);
  const run = tree.find((c) => c.isDefault)!;
  return [
    `.TH VXLAN\\-TAP 1 "" "vxlan-tap ${roff(version)}" "User Commands"`,
    '.SH NAME',
    `vxlan\\-tap \\- ${roff(program.description())}`,
    '.SH SYNOPSIS',
    `${bold('vxlan-tap')} [${bold(run.name)}] ${bold('--vni')} \\fIn\\fR [\\fIoptions\\fR]`,
    '.br',
    `${bold('vxlan-tap')} \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]`,
    '.SH DESCRIPTION',
    roff(
      'vxlan-tap creates a TAP device, wraps every Ethernet frame written to it in VXLAN (RFC 7348) over UDP, ' +
        'sends it to the remote VTEPs that own the destination MAC, and unwraps what arrives the other way. ' +
        "It speaks the same wire format as the Linux kernel's vxlan driver, so it joins an overlay built from kernel VTEPs.",
    ),
    '.PP',
    roff(`Without a command, vxlan-tap runs ${run.name}. The commands:`),
    ...tree.flatMap((c) => ['.TP', bold(c.name), roff(c.description)]),
    '.SH COMMANDS',
    ...tree.flatMap(commandSection),
    '.SH EXIT STATUS',
    '.TP', '0', roff('success; also when the reader of the output went away (a closed pipe)'),
    '.TP', '1', roff('a runtime failure, said in one line on stderr ("vxlan-tap: error: ...")'),
    '.TP', '2', roff('bad input: an unknown command or option, or a bad value, said in one line on stderr'),
    '.TP', '130', roff('demo stopped by SIGINT or SIGTERM'),
    '.SH SIGNALS',
    '.TP', 'SIGINT, SIGTERM', roff('stop: the TAP is removed (kept with --persist)'),
    '.TP', 'SIGHUP', roff('re-read --config and apply what can change live'),
    '.TP', 'SIGUSR2', roff('hand over to a successor process without losing a frame (as vxlan-tap handover; needs --io native)'),
    '.SH FILES',
    '.TP', roff('/run/vxlan-tap/TAP.sock'), roff('the control socket of the VTEP whose TAP is TAP (/run/vxlan-tap/netns-NS/TAP.sock inside the named network namespace NS)'),
    '.TP', roff('/run/vxlan-tap/TAP.state.json'), roff('what --persist saves at stop and restores at the next start'),
    '.SH SEE ALSO',
    `${bold('ip-link')}(8), ${bold('bridge')}(8), ${bold('systemd.exec')}(5)`,
    '',
  ].join('\n');
}
