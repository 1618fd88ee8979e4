// The framing of the control protocol, for both ends: one JSON value per line, UTF-8.
import type { Duplex, Writable } from 'node:stream';

/**
 * A long list answer (`fdb show` of a large FDB) made and sent a slice at a time, so that
 * the process forwards between slices: `rows(from, to)` gives items from..to of `count`.
 */
export class SlicedList {
  constructor(
    readonly count: number,
    readonly rows: (from: number, to: number) => unknown[],
  ) {}
}

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
 * off) until it returns false. A line (or the unfinished rest) longer than `maxPending`
 * characters is not a control peer's: reading stops and `onTooLong` is called, or
 * without it the socket is destroyed.
 */
export function readLines(socket: Duplex, onLine: (line: string) => boolean, maxPending = Infinity, onTooLong?: () => void): void {
  // A character split across two chunks is joined before it is decoded.
  socket.setEncoding('utf8');
  let pending = '';
  let reading = true;
  const tooLong = (): void => {
    reading = false;
    pending = '';
    if (onTooLong === undefined) socket.destroy();
    else onTooLong();
  };
  socket.on('data', (chunk: string) => {
    if (!reading) return;
    let start = 0;
    const text = pending + chunk;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      if (nl - start > maxPending) return tooLong();
      const line = text.slice(start, nl);
      start = nl + 1;
      if (!onLine(line)) {
        reading = false;
        pending = '';
        return;
      }
      if (!reading) return;
    }
    pending = text.slice(start);
    if (pending.length > maxPending) tooLong();
  });
}
