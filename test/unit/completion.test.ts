// `vxlan-tap completion bash|zsh|fish` and the man page, both written from the command tree:
// bash completes the commands, each command's own options and the words they take; zsh
// and fish accept their scripts (where installed); the man page lists every option.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { completionScript } from '../../src/cli/completion.js';
import { manPage } from '../../src/cli/man-page.js';
import { buildProgram } from '../../src/cli/program.js';

const program = buildProgram();
const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** What bash completes for the words typed so far (the last one being completed). */
function complete(...words: string[]): string[] {
  const script = `${completionScript(program, 'bash')}
COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _vxlan_tap; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', script, 'bash', 'vxlan-tap', ...words], { encoding: 'utf8', timeout: 10_000 });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter((line) => line !== '');
}

describe('bash completion', () => {
  it.each([
    [['f'], ['fdb']],
    [['fdb', ''], ['show', 'add', 'append', 'replace', 'del', 'flush']],
    [['fdb', '--j'], ['--json']],
    [['--i'], ['--io']],
    [['--io', ''], ['native', 'dgram']],
    [['run', '--log-f'], ['--log-format']],
    [['agent', '--k'], ['--kernel']],
    [['completion', ''], ['bash', 'zsh', 'fish']],
    [['help', 'n'], ['neigh']],
  ])('%j -> %j', (words, expected) => {
    expect(complete(...words)).toEqual(expected);
  });

  it('offers every option of every command', () => {
    for (const command of program.commands) {
      const offered = complete(command.name(), '--');
      for (const option of command.options) expect(offered).toContain(option.long);
    }
  });
});

describe.each(['zsh', 'fish'] as const)('%s completion', (shell) => {
  it.skipIf(!has(shell))('is a script the shell accepts (-n: read, not run)', () => {
    const r = spawnSync(shell, ['-n', '-c', completionScript(program, shell)], { encoding: 'utf8', timeout: 10_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('the man page', () => {
  const page = manPage(program, '0.0.0');

  it('has every command and every option of each', () => {
    for (const command of program.commands) {
      expect(page).toContain(`.SS "${command.name()}`);
      for (const option of command.options) expect(page).toContain(option.long!.replace(/-/g, '\\-'));
    }
  });

  it.skipIf(!has('groff'))('formats without a warning', () => {
    const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z'], { input: page, encoding: 'utf8', timeout: 10_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
