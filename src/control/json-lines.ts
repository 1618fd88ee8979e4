// The framing of the control protocol, for both ends: one JSON value per line, UTF-8.
import type { Duplex, Writable } from 'node:stream';

/** `message` as one line of the protocol, newline included. */
export function jsonLine(message: unknown): string {
  return `${JSON.stringify(message)}\n`;
}

/** Writes `message` as one line; `written` is called once it has left the buffer. */
export function sendLine(socket: Writable, message: unknown, written?: () => void): void {
  socket.write(jsonLine(message), written);
}

/**
 * Calls `onLine` with each complete line read from `socket` (its text, the newline cut
 * off) until it returns false. More than `maxPending` characters without a newline is not
 * a control peer: the socket is destroyed.
 */
export function readLines(socket: Duplex, onLine: (line: string) => boolean, maxPending = Infinity): void {
  // A character split across two chunks is joined before it is decoded.
  socket.setEncoding('utf8');
  let pending = '';
  let reading = true;
  socket.on('data', (chunk: string) => {
    if (!reading) return;
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (!onLine(line)) {
        reading = false;
        return;
      }
    }
    if (pending.length > maxPending) socket.destroy();
  });
}
