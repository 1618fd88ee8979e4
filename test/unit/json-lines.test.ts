// The control protocol's framing (src/control/json-lines.ts), shared by server and client.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readLines, sendLine } from '../../src/control/json-lines.js';

function collect(stream: PassThrough, stopAfter = Infinity, maxPending?: number): string[] {
  const lines: string[] = [];
  readLines(stream, (line) => lines.push(line) < stopAfter, maxPending);
  return lines;
}

describe('json lines', () => {
  it('hands over each complete line, however the chunks fall', () => {
    const stream = new PassThrough();
    const lines = collect(stream);
    stream.write('{"a":1}\n{"b"');
    expect(lines).toEqual(['{"a":1}']);
    stream.write(':2}\n\n{"c":3}\n');
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '', '{"c":3}']);
  });

  it('joins a UTF-8 character split across two chunks', () => {
    const stream = new PassThrough();
    const lines = collect(stream);
    const bytes = Buffer.from('"é"\n');
    stream.write(bytes.subarray(0, 2));
    stream.write(bytes.subarray(2));
    expect(lines).toEqual(['"é"']);
  });

  it('stops reading once told to', () => {
    const stream = new PassThrough();
    const lines = collect(stream, 2);
    stream.write('1\n2\n3\n');
    stream.write('4\n');
    expect(lines).toEqual(['1', '2']);
  });

  it('cuts off a peer that sends more than the limit without a newline', () => {
    const stream = new PassThrough();
    collect(stream, Infinity, 10);
    stream.write('0123456789\n0123456789');
    expect(stream.destroyed).toBe(false);
    stream.write('0');
    expect(stream.destroyed).toBe(true);
  });

  it('writes one JSON value per line', () => {
    const stream = new PassThrough();
    sendLine(stream, { ok: true, result: 'a\nb' });
    expect(String(stream.read())).toBe('{"ok":true,"result":"a\\nb"}\n');
  });
});
