// The command line's answers that need no privileges: the main help lists the options of
// run (the default command), each command's help its own options and an example, a
// mistyped command or a stray word is named as such, a closed stdout ends a command
// quietly, and every command and option is documented (README.md and docs/ together).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILT_MAIN } from '../../lab/lab.js';
import { buildProgram } from '../../src/cli/program.js';

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
  }, 30_000);

  it('prints the version', () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(cli('--version')).toMatchObject({ status: 0, stdout: `${version}\n` });
  });
});

describe('mistyped commands', () => {
  const COMMANDS = '(commands: run, demo, fdb, neigh, stats, members, handover, monitor, check, agent, completion, help)';

  it.each([
    [['bogus'], `unknown command 'bogus' ${COMMANDS}`],
    [['--vni', '1', 'fbd'], `unknown command 'fbd' ${COMMANDS}`],
    [['help', 'bogus'], `unknown command 'bogus' ${COMMANDS}`],
    [['run', 'extra'], "run takes options only, not 'extra'"],
    [['--vni', '1', 'check'], "the command 'check' must come before the options"],
    [['demo', 'extra'], "too many arguments for 'demo'. Expected 0 arguments but got 1."],
    [['check', '--bogus'], "unknown option '--bogus' (vxlan-tap help check lists its options)"],
    [['fdb', 'show', '--vni', '42'], "unknown option '--vni': it is an option of run, not of fdb (vxlan-tap help fdb lists its options)"],
    [['stats', '--jsn'], "unknown option '--jsn' (Did you mean --json?) (vxlan-tap help stats lists its options)"],
    [['completion', 'tcsh'], "command-argument value 'tcsh' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish."],
  ])('%j: one line, exit 2', (args, message) => {
    const { status, stdout, stderr } = cli(...args);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`vxlan-tap: error: ${message}\n`);
  });
});

const program = buildProgram();
const run = program.commands.find((c) => c.name() === 'run')!;
const others = program.commands.filter((c) => c !== run);

describe('per-command help', () => {
  it.each(others.map((c) => [c.name()]))('help %s: its own options, --json where it has it, an example', (name) => {
    const command = program.commands.find((c) => c.name() === name)!;
    const help = cli('help', name);
    expect(help.status).toBe(0);
    expect(help.stderr).toBe('');
    expect(cli(name, '--help').stdout).toBe(help.stdout);
    expect(help.stdout).toMatch(new RegExp(`^Usage: vxlan-tap ${name} `, 'm'));
    for (const option of command.options) expect(help.stdout).toContain(`  ${option.flags}`);
    // None of run's options unless the command takes it too (agent: --local, --control, ...).
    for (const option of run.options.filter((o) => !command.options.some((own) => own.long === o.long))) {
      expect(help.stdout).not.toMatch(new RegExp(`^ {2}${option.long}\\b`, 'm'));
    }
    if (command.options.some((o) => o.long === '--json')) expect(help.stdout).toMatch(/^ {2}--json\b/m);
    expect(help.stdout).toMatch(new RegExp(`^Examples?:\n {2}vxlan-tap ${name}\\b`, 'm'));
  }, 30_000);

  it('--json exists for every command that prints data', () => {
    const withJson = program.commands.filter((c) => c.options.some((o) => o.long === '--json')).map((c) => c.name());
    expect(withJson).toEqual(['fdb', 'neigh', 'stats', 'members', 'handover', 'monitor', 'check']);
  });

  it('help agent shows --kernel and the etcd options', () => {
    const { stdout } = cli('help', 'agent');
    for (const option of ['--kernel <dev>', '--etcd <urls>', '--network <name>']) expect(stdout).toContain(`  ${option}`);
    expect(stdout).not.toContain('required without --config');
  });
});

describe('a closed stdout', () => {
  /** Runs the command with its stdout closed before it writes: exit code and stderr. */
  function withClosedStdout(...args: string[]): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, [BUILT_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    return new Promise((resolve) => child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    }));
  }

  it.each([[['completion', 'bash']], [['help', 'run']]])('%j ends quietly, exit 0', async (args) => {
    expect(await withClosedStdout(...args)).toEqual({ code: 0, stderr: '' });
  });
});

describe('documented: README.md and docs/ together', () => {
  const root = new URL('../../', import.meta.url);
  const docs = new URL('docs/', root);
  const pages = existsSync(docs) ? readdirSync(docs).filter((f) => f.endsWith('.md')).map((f) => readFileSync(new URL(f, docs), 'utf8')) : [];
  const text = [readFileSync(new URL('README.md', root), 'utf8'), ...pages].join('\n');

  it.each(program.commands.map((c) => [c.name()]))('the command %s and each of its options', (name) => {
    expect(text).toMatch(new RegExp(`vxlan-tap ${name}\\b`));
    const command = program.commands.find((c) => c.name() === name)!;
    const missing = command.options.map((o) => o.long!).filter((long) => !new RegExp(`${long}(?![\\w-])`).test(text));
    expect(missing).toEqual([]);
  });
});
