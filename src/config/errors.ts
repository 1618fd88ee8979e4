// Errors the user sees as one line. A message repeats the bad value, and a value can be
// anything (a 50 MB argument, a binary file): every message is cut to a readable size.

/** Longest run without white space kept whole, and longest message. */
const MAX_WORD = 200;
const MAX_MESSAGE = 1000;

/** Each over-long word cut, then the whole, saying how much was left out. */
export function cutLongValues(message: string): string {
  // Scanned by hand: a regular expression over a 50 MB word overflows the stack.
  // What is cut is followed by a space: a word once cut is short, and cutting is idempotent.
  let cut = '';
  for (let start = 0; start < message.length && cut.length <= MAX_MESSAGE; ) {
    let end = start;
    while (end < message.length && message.charCodeAt(end) > 0x20) end++; // words end at spaces and control characters
    const word = end - start;
    cut += word > MAX_WORD ? `${message.slice(start, start + MAX_WORD)} ...(${word - MAX_WORD} more characters)` : message.slice(start, end);
    if (end < message.length) cut += message[end];
    start = end + 1;
  }
  const keep = MAX_MESSAGE - 40;
  if (cut.length > MAX_MESSAGE) cut = `${cut.slice(0, keep)} ...(cut; ${message.length} characters in all)`;
  return cut;
}

/**
 * For the terminal: control characters (a newline or an escape sequence in a value)
 * written as \xNN, so that a message stays one line and prints as it reads.
 */
export function printable(message: string): string {
  return message.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Bad user input: reported as one line, exit code 2, nothing created. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(cutLongValues(message));
  }
}

/** A failure while running (TAP cannot be created, port in use): one line, exit code 1. */
export class RuntimeError extends Error {
  constructor(message: string) {
    super(cutLongValues(message));
  }
}
