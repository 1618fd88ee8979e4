// The client side of the control socket: one request, one response; or, for monitor,
// a stream of event lines.
import net from 'node:net';
import { RuntimeError } from '../config/errors.js';
import { readLines, sendLine } from './json-lines.js';

function explain(err: NodeJS.ErrnoException, socketPath: string): RuntimeError {
  switch (err.code) {
    case 'ENOENT':
      return new RuntimeError(`no running vxlan-tap at ${socketPath} (check --tap or --control)`);
    case 'ECONNREFUSED':
      return new RuntimeError(`${socketPath} is stale: no vxlan-tap is listening on it`);
    case 'EACCES':
    case 'EPERM':
      return new RuntimeError(`permission denied on ${socketPath} (the socket is the owner's only: run as root)`);
    default:
      return new RuntimeError(`control socket ${socketPath}: ${err.message}`);
  }
}

/**
 * Sends `request` and calls onLine for each response line until it returns false
 * (done) or the server hangs up. While `busy()` gives a promise (the output it writes
 * to is full), reading waits for it: a slow reader leaves the server's lines unread,
 * where the server cuts it off, instead of piling them up here.
 */
export function converse(
  socketPath: string,
  request: object,
  onLine: (message: Record<string, unknown>) => boolean,
  busy?: () => Promise<void> | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => sendLine(socket, request));
    readLines(socket, (line) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        socket.destroy();
        reject(new RuntimeError(`${socketPath} answered something that is not JSON: is it a vxlan-tap control socket?`));
        return false;
      }
      if (onLine(message)) {
        const wait = socket.isPaused() ? undefined : busy?.();
        if (wait !== undefined) {
          socket.pause();
          void wait.then(() => socket.resume());
        }
        return true;
      }
      socket.end();
      resolve();
      return false;
    });
    socket.once('error', (err) => reject(explain(err, socketPath)));
    socket.once('close', () => resolve());
  });
}

/** One request; resolves with its result or rejects with the server's error. */
export async function request(socketPath: string, message: object): Promise<unknown> {
  let response: Record<string, unknown> | undefined;
  await converse(socketPath, message, (line) => {
    response = line;
    return false;
  });
  if (response === undefined) throw new RuntimeError(`${socketPath} closed without answering`);
  if (response['ok'] !== true) throw new RuntimeError(String(response['error']));
  return response['result'];
}
