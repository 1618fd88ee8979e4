// Child processes inside a lab's namespaces, each bounded in time: whatever hangs is
// killed when its budget runs out, and lab.cleanup() ends anything still running.
import type { ChildProcess } from 'node:child_process';
import type { Lab } from '../../lab/lab.js';

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Resolves when the child exits; kills it (SIGKILL) and rejects after `timeoutMs`. */
export function finished(child: ChildProcess, what: string, timeoutMs: number): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a command in `ns` to its end, within `timeoutMs`. */
export function runIn(lab: Lab, ns: string, timeoutMs: number, command: string, ...args: string[]): Promise<Finished> {
  return finished(lab.spawn(ns, command, ...args), `${command} in ${ns}`, timeoutMs);
}

/** Resolves once a line of the child's stdout matches; rejects on exit or after `timeoutMs`. */
export function stdoutLine(child: ChildProcess, pattern: RegExp, what: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (err?: Error): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      if (pattern.test(text)) done();
    };
    const onClose = (): void => done(new Error(`${what} exited before printing ${pattern}: ${text.trim()}`));
    const timer = setTimeout(() => done(new Error(`${what} did not print ${pattern} within ${timeoutMs} ms`)), timeoutMs);
    child.stdout?.on('data', onData);
    child.once('close', onClose);
  });
}
