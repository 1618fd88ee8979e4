// The command line's answers that need no privileges: the main help lists the options of
// run (the default command), and a mistyped command or a stray word is named as such.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILT_MAIN } from '../../lab/lab.js';

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BUILT_MAIN, ...args], { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vxlan-tap --help', () => {
  it('shows the options of run, the commands and a two-line example', () => {
    const { status, stdout, stderr } = cli('--help');
    expect(status).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Usage: vxlan-tap \[run\] --vni <n> \[options\]$/m);
    for (const option of ['--vni <vni>', '--peer <ip>', '--tap <name>', '--address <cidr>', '--config <file>', '--offload <on|off|no-coalesce>']) {
      expect(stdout).toContain(`  ${option}`);
    }
    expect(stdout).toMatch(/^Commands:$/m);
    expect(stdout).toMatch(/^ {2}check \[options\]/m);
    const example = stdout.slice(stdout.indexOf('Examples'));
    expect(example.trim().split('\n').slice(1)).toEqual([
      '  vxlan-tap --vni 42 --peer 198.51.100.1 --tap vxlan0 --address 192.0.2.2/24',
      '  vxlan-tap --config /etc/vxlan-tap/overlay.json',
    ]);
  });

  it('`help` says the same, `help <command>` shows that command', () => {
    expect(cli('help').stdout).toBe(cli('--help').stdout);
    const fdb = cli('help', 'fdb');
    expect(fdb.status).toBe(0);
    expect(fdb.stdout).toMatch(/^Usage: vxlan-tap fdb \[options\] <action> \[words\.\.\.\]$/m);
    expect(cli('help', 'run').stdout).toContain('  --vni <vni>');
  });

  it('prints the version', () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(cli('--version')).toMatchObject({ status: 0, stdout: `${version}\n` });
  });
});

describe('mistyped commands', () => {
  const COMMANDS = '(commands: run, demo, fdb, neigh, stats, members, handover, monitor, check, agent, help)';

  it.each([
    [['bogus'], `unknown command 'bogus' ${COMMANDS}`],
    [['--vni', '1', 'fbd'], `unknown command 'fbd' ${COMMANDS}`],
    [['help', 'bogus'], `unknown command 'bogus' ${COMMANDS}`],
    [['run', 'extra'], "run takes options only, not 'extra'"],
    [['--vni', '1', 'check'], "the command 'check' must come before the options"],
    [['demo', 'extra'], "too many arguments for 'demo'. Expected 0 arguments but got 1."],
    [['check', '--bogus'], "unknown option '--bogus'"],
  ])('%j: one line, exit 2', (args, message) => {
    const { status, stdout, stderr } = cli(...args);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`vxlan-tap: error: ${message}\n`);
  });
});
