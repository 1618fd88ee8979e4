// The control socket's bounds, on a real Unix socket in a temporary folder: a client that
// does not read is cut off with a final line, the client count is capped (refused
// politely), an idle client is closed, a request line is capped, requests are answered in
// order, and a stalled monitor gets its cut-off line once it reads again.
import { mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ControlClientCounts, ControlServer, type ControlHandler, type ControlLimits } from '../../src/control/server.js';
import { SlicedList } from '../../src/control/json-lines.js';
import { connectPeer as connect } from './control-peer.js';

const LIMITS: ControlLimits = {
  maxClients: 3,
  maxUnreadBytes: 16 * 1024,
  idleMs: 300,
  maxRequestChars: 1024,
  maxMonitorBacklog: 50,
  cutOffGraceMs: 5000,
  linesPerSlice: 16,
  itemsPerSlice: 10,
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('control socket bounds', () => {
  let dir: string;
  let socketPath: string;
  let server: ControlServer | undefined;
  let publish: (event: unknown) => void = () => {};
  let cutOffs: number[];
  let closed: ControlClientCounts;

  const handler: ControlHandler = {
    run: async (request) => {
      if (request.cmd === 'slow') await sleep(20);
      return { cmd: request.cmd };
    },
    subscribe: (send) => {
      publish = send;
      return () => void (publish = () => {});
    },
    cutOff: (lost) => void cutOffs.push(lost),
    closed: (why) => void closed[why]++,
  };

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vxt-ctl-'));
    socketPath = path.join(dir, 'c.sock');
    cutOffs = [];
    closed = new ControlClientCounts();
    server = await ControlServer.start(socketPath, handler, LIMITS);
  });
  afterEach(() => {
    server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers pipelined requests in order, a slow one included', async () => {
    const peer = await connect(socketPath);
    peer.socket.write('{"cmd":"slow"}\n{"cmd":"a"}\nnot json\n{"cmd":"b"}\n');
    await sleep(200);
    expect(peer.lines().map((l) => JSON.parse(l))).toEqual([
      { ok: true, result: { cmd: 'slow' } },
      { ok: true, result: { cmd: 'a' } },
      { ok: false, error: 'each request is one JSON object with a "cmd" field, on one line' },
      { ok: true, result: { cmd: 'b' } },
    ]);
    peer.socket.destroy();
  });

  it('cuts off a client that sends requests but does not read the answers, with a final line', async () => {
    const peer = await connect(socketPath);
    peer.socket.pause();
    // 2 MB of garbage lines: each answered with an error line nobody reads.
    const garbage = 'x\n'.repeat(1024 * 1024);
    peer.socket.write(garbage);
    await sleep(500);
    peer.socket.resume();
    await peer.closed;
    const lines = peer.lines();
    expect(lines.length).toBeLessThan(LIMITS.maxUnreadBytes); // far fewer answers than requests
    expect(JSON.parse(lines.at(-1)!)).toEqual({ ok: false, error: expect.stringMatching(/^cut off: \d+ bytes of answers were not read in time$/) });
    expect(closed).toEqual({ cutOff: 1, refused: 0, idle: 0 });
  });

  it('refuses clients beyond the limit politely, and takes new ones once others leave', async () => {
    const peers = await Promise.all([1, 2, 3].map(() => connect(socketPath)));
    const fourth = await connect(socketPath);
    await fourth.closed;
    expect(fourth.lines()).toEqual([JSON.stringify({ ok: false, error: 'too many control clients (3): try again later' })]);
    expect(closed).toEqual({ cutOff: 0, refused: 1, idle: 0 });
    peers[0]!.socket.destroy();
    await sleep(50);
    const again = await connect(socketPath);
    again.socket.write('{"cmd":"stats"}\n');
    await sleep(50);
    expect(again.lines()).toEqual(['{"ok":true,"result":{"cmd":"stats"}}']);
    for (const p of [...peers, again]) p.socket.destroy();
  });

  it('closes a client idle for too long, saying why', async () => {
    const peer = await connect(socketPath);
    const started = Date.now();
    await peer.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(LIMITS.idleMs - 50);
    expect(Date.now() - started).toBeLessThan(LIMITS.idleMs + 1000);
    expect(peer.lines()).toEqual([JSON.stringify({ ok: false, error: 'idle for 0.3 s: closed' })]);
    expect(closed).toEqual({ cutOff: 0, refused: 0, idle: 1 });
  });

  it('does not close an idle monitor', async () => {
    const peer = await connect(socketPath);
    peer.socket.write('{"cmd":"monitor"}\n');
    await sleep(LIMITS.idleMs * 2);
    publish({ event: 'learn' });
    await sleep(50);
    expect(peer.lines()).toEqual(['{"ok":true}', '{"event":"learn"}']);
    expect(peer.socket.destroyed).toBe(false);
    peer.socket.destroy();
  });

  it('caps a request line: an answer saying so, then the client is closed', async () => {
    const peer = await connect(socketPath);
    peer.socket.write('{"cmd":"' + 'x'.repeat(4000));
    await peer.closed;
    expect(peer.lines()).toEqual([JSON.stringify({ ok: false, error: `a request line may be at most ${LIMITS.maxRequestChars} characters` })]);
  });

  it('delivers the cut-off line to a stalled monitor once it reads again', async () => {
    const peer = await connect(socketPath);
    peer.socket.write('{"cmd":"monitor"}\n');
    await sleep(50);
    peer.socket.pause();
    // Large events: the socket's buffers fill long before the backlog limit.
    const big = 'y'.repeat(8 * 1024);
    for (let i = 0; i < 200; i++) {
      publish({ event: 'learn', i, big });
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(cutOffs).toHaveLength(1);
    // Longer than the old grace of a second.
    await sleep(1500);
    peer.socket.resume();
    await peer.closed;
    const last = peer.lines().at(-1)!;
    expect(JSON.parse(last)).toEqual({ ok: false, error: `monitor cut off: ${cutOffs[0]} events were not read in time` });
  });
});

describe('a long list answer', () => {
  let dir: string;
  let server: ControlServer | undefined;
  afterEach(() => {
    server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is made and sent a slice at a time, other work running between the slices, and arrives as one line', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vxt-ctl-'));
    const socketPath = path.join(dir, 'c.sock');
    const made: number[] = [];
    // Items 0..99, in slices of 10; slice 3 yields none (an entry without remotes).
    const list = new SlicedList(100, (from, to) => (made.push(from), from === 30 ? [] : Array.from({ length: to - from }, (_, i) => ({ n: from + i }))));
    server = await ControlServer.start(socketPath, { run: () => list }, LIMITS);
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const peer = await connect(socketPath);
    peer.socket.write('{"cmd":"fdb.show"}\n');
    await sleep(300);
    clearInterval(ticker);
    const [line] = peer.lines();
    const answer = JSON.parse(line!) as { ok: boolean; result: { n: number }[] };
    expect(answer.ok).toBe(true);
    expect(answer.result.map((r) => r.n)).toEqual([...Array(100).keys()].filter((n) => n < 30 || n >= 40));
    expect(made).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(turns).toBeGreaterThan(5);
    peer.socket.destroy();
  });
});

describe('starting in a folder another VTEP removes', () => {
  it('makes the folder again when it goes between making it and listening (a stopping VTEP, a handover predecessor, removes its empty folder)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vxt-ctl-'));
    const folder = path.join(dir, 'netns-x');
    const listen = net.Server.prototype.listen;
    let removed = false;
    const spy = vi.spyOn(net.Server.prototype, 'listen').mockImplementation(function (this: net.Server, ...args: unknown[]) {
      if (!removed) {
        removed = true;
        rmdirSync(folder);
      }
      return (listen as (...a: unknown[]) => net.Server).apply(this, args);
    });
    try {
      const server = await ControlServer.start(path.join(folder, 'c.sock'), { run: async () => ({}), subscribe: () => () => {}, cutOff: () => {}, closed: () => {} });
      expect(removed).toBe(true);
      server.stop();
    } finally {
      spy.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
