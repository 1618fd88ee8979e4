// The control socket of one segment: a Unix socket (mode 0600) speaking line-based JSON.
// Each request line gets one response line, {"ok":true,"result":...} or
// {"ok":false,"error":"..."}; a "monitor" request gets {"ok":true} and then one line per
// event until the client hangs up. Every client is bounded (ControlLimits): in number, in
// what it may leave unread, in idle time and in the length of a request line.
import net from 'node:net';
import { existsSync, lstatSync, mkdirSync, rmdirSync, unlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../config/errors.js';
import { namedNetworkNamespace } from '../config/system.js';
import { settleHeap } from '../lifecycle/warm-up.js';
import { RequestError, type ControlRequest } from './commands.js';
import { jsonLine, readLines, sendLine, SlicedList } from './json-lines.js';

export const CONTROL_DIR = '/run/vxlan-tap';

/** What one client may cost the VTEP: every client is bounded in memory and time. */
export interface ControlLimits {
  /** Clients served at once; one more is told so and hung up on. */
  maxClients: number;
  /** Answers a client may leave unread (bytes) before it is cut off, besides the one being written. */
  maxUnreadBytes: number;
  /** A client that neither sends nor reads this long is closed (monitor clients excepted). */
  idleMs: number;
  /** Characters of one request line. */
  maxRequestChars: number;
  /** Events a monitor client may leave unread before it is cut off (memory stays bounded). */
  maxMonitorBacklog: number;
  /** Time a cut-off client gets to read the line saying so. */
  cutOffGraceMs: number;
  /** Requests handled in one go before other work (forwarding, other clients) gets a turn. */
  linesPerSlice: number;
  /** Items of a long list answer made and sent in one go (about a millisecond's work). */
  itemsPerSlice: number;
}

export const CONTROL_LIMITS: ControlLimits = {
  maxClients: 256,
  maxUnreadBytes: 1024 * 1024,
  idleMs: 30_000,
  maxRequestChars: 64 * 1024,
  maxMonitorBacklog: 10_000,
  cutOffGraceMs: 30_000,
  linesPerSlice: 64,
  itemsPerSlice: 256,
};

/** Monitor events handed to the socket at once; the rest wait in a queue the VTEP can drop. */
const MONITOR_IN_FLIGHT_BYTES = 64 * 1024;
/** Time clients get at stop to read their last answer (a handover's). */
const HANG_UP_GRACE_MS = 1000;
/** Time a refused client gets to read why. */
const REFUSE_GRACE_MS = 1000;
/** Clients after which, once none has come for SETTLE_QUIET_MS, the heap is settled. */
const SETTLE_AFTER_CLIENTS = 50;
const SETTLE_QUIET_MS = 1000;
/** Tries at listening: a folder removed under us is made again (see start). */
const LISTEN_ATTEMPTS = 3;

// Interface names are per network namespace but /run is not: inside a named namespace
// (`ip netns exec NAME ...`), sockets live in a folder named after it, which the server
// and a client run in the same namespace both find.
function namespaceFolder(): string {
  const name = namedNetworkNamespace();
  return name === undefined ? '' : `netns-${name}`;
}

export function defaultControlPath(tapName: string): string {
  return path.join(CONTROL_DIR, namespaceFolder(), `${tapName}.sock`);
}

function lstatIfAny(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}

/** Listens on a Unix socket that is owner-only from the moment it exists (bind happens inside listen()). */
function listen(server: net.Server, socketPath: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const umask = process.umask(0o177);
    try {
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  });
}

/** Is something answering on this socket path? */
function inUse(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** What one control socket serves: requests, and for `monitor` a stream of events. */
export interface ControlHandler {
  /** The result of one request, or a promise of it; a RequestError goes back as the error. */
  run(request: ControlRequest): unknown;
  /** Sends each event until the returned function is called; absent: monitor is refused. */
  subscribe?(send: (event: unknown) => void): () => void;
  /** A monitor client was cut off for reading too slowly; `lost` events never reached it. */
  cutOff?(lost: number): void;
  /** A client was cut off for leaving answers unread, refused (too many clients) or closed when idle. */
  closed?(why: keyof ControlClientCounts): void;
}

/** Clients the VTEP hung up on, by why (monitors apart): `stats` and the metrics show them. */
export class ControlClientCounts {
  /** Left more than maxUnreadBytes of answers unread. */
  cutOff = 0;
  /** Came while maxClients were served. */
  refused = 0;
  /** Neither sent nor read for idleMs. */
  idle = 0;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * One client: its requests answered one at a time, in order, a slice of them per turn;
 * for `monitor`, the stream of events. Whatever it does, it costs bounded memory: a client
 * that leaves too much unread is cut off with a final line saying so, and one that does
 * nothing for too long is closed.
 */
function serve(socket: net.Socket, handler: ControlHandler, limits: ControlLimits): void {
  const lines: string[] = [];
  let next = 0;
  let working = false;
  /** Cut off or closed: nothing more is read or answered. */
  let finished = false;
  let unsubscribe: (() => void) | undefined;

  /** The last line this client gets; it has a grace time to read it. */
  const finish = (error: string): void => {
    if (finished) return;
    finished = true;
    lines.length = next = 0;
    unsubscribe?.();
    socket.setTimeout(0);
    // What it still sends is read and dropped. Closed once that line is in the client's
    // socket (it can still read it), or after the grace time.
    socket.resume();
    socket.end(jsonLine({ ok: false, error }), () => socket.destroy());
    setTimeout(() => socket.destroy(), limits.cutOffGraceMs).unref();
  };

  const cutOff = (): void => {
    handler.closed?.('cutOff');
    finish(`cut off: ${socket.writableLength} bytes of answers were not read in time`);
  };

  const answer = (message: unknown): void => {
    if (finished) return;
    // One answer may be large (a long fdb show); a client that leaves more unread and asks again is cut off.
    if (socket.writableLength > limits.maxUnreadBytes) return cutOff();
    sendLine(socket, message);
  };

  /** A long list, made and written a slice per turn: `{"ok":true,"result":[` ... `]}`. */
  const answerInSlices = async (list: SlicedList): Promise<void> => {
    if (finished) return;
    if (socket.writableLength > limits.maxUnreadBytes) return cutOff();
    socket.write('{"ok":true,"result":[');
    let written = 0;
    for (let from = 0; from < list.count; from += limits.itemsPerSlice) {
      const items = list.rows(from, Math.min(from + limits.itemsPerSlice, list.count)).map((item) => JSON.stringify(item));
      if (items.length > 0) socket.write(`${written === 0 ? '' : ','}${items.join(',')}`);
      written += items.length;
      await nextTurn();
      if (finished) return;
    }
    socket.write(']}\n');
  };

  const subscribeMonitor = (): (() => void) => {
    let queue: string[] = [];
    let head = 0;
    let unread = 0;
    const flushed = (): void => void unread--;
    const flush = (): void => {
      while (head < queue.length && socket.writableLength < MONITOR_IN_FLIGHT_BYTES) {
        socket.write(queue[head]!, flushed);
        queue[head++] = '';
      }
      if (head === queue.length) queue = [], head = 0;
    };
    socket.on('drain', flush);
    const stop = handler.subscribe!((event) => {
      if (unread < limits.maxMonitorBacklog) {
        unread++;
        queue.push(jsonLine(event));
        flush();
        return;
      }
      // Unsent events are dropped, so the line saying so is next after what the socket holds.
      queue = [];
      head = 0;
      handler.cutOff?.(unread + 1);
      finish(`monitor cut off: ${unread + 1} events were not read in time`);
    });
    return () => {
      stop();
      socket.off('drain', flush);
    };
  };

  /** Carries out one line; a promise while its answer is pending. */
  const handle = (text: string): Promise<void> | undefined => {
    const line = text.trim();
    if (line === '') return undefined;
    let request: ControlRequest;
    try {
      request = JSON.parse(line) as ControlRequest;
      if (typeof request !== 'object' || request === null || typeof request.cmd !== 'string') throw new Error();
    } catch {
      answer({ ok: false, error: 'each request is one JSON object with a "cmd" field, on one line' });
      return undefined;
    }
    if (request.cmd === 'monitor' && handler.subscribe !== undefined) {
      unsubscribe ??= subscribeMonitor();
      answer({ ok: true });
      return undefined;
    }
    let result: unknown;
    try {
      result = handler.run(request);
    } catch (err) {
      answer(failure(err));
      return undefined;
    }
    if (result instanceof SlicedList) return answerInSlices(result);
    if (!(result instanceof Promise)) {
      answer({ ok: true, result: result ?? null });
      return undefined;
    }
    return result.then(
      (value: unknown) => answer({ ok: true, result: value ?? null }),
      (err: unknown) => answer(failure(err)),
    );
  };

  /** Works through the lines read, a slice per turn; reading waits meanwhile. */
  const work = async (): Promise<void> => {
    if (working) return;
    working = true;
    socket.pause();
    socket.setTimeout(0);
    let done = 0;
    while (next < lines.length && !finished) {
      const line = lines[next]!;
      lines[next++] = '';
      const pending = handle(line);
      if (pending !== undefined) await pending;
      if (++done % limits.linesPerSlice === 0) await nextTurn();
    }
    lines.length = next = 0;
    working = false;
    if (finished) return;
    // A monitor is quiet by nature: only the others are closed when idle.
    if (unsubscribe === undefined) socket.setTimeout(limits.idleMs);
    socket.resume();
  };

  readLines(
    socket,
    (line) => {
      if (finished) return false;
      lines.push(line);
      return true;
    },
    limits.maxRequestChars,
    () => finish(`a request line may be at most ${limits.maxRequestChars} characters`),
  );
  // Nothing a client sends may end the process: a failure here ends only this client.
  socket.on('data', () => void work().catch((err: Error) => finish(`internal error: ${err.message}`)));
  socket.setTimeout(limits.idleMs);
  socket.on('timeout', () => {
    handler.closed?.('idle');
    finish(`idle for ${limits.idleMs / 1000} s: closed`);
  });
  socket.on('close', () => {
    finished = true;
    unsubscribe?.();
  });
  socket.on('error', () => socket.destroy());
}

function failure(err: unknown): { ok: false; error: string } {
  return { ok: false, error: err instanceof RequestError ? err.message : `internal error: ${(err as Error).message}` };
}

export class ControlServer {
  private readonly clients = new Set<net.Socket>();
  /** Clients since the heap was last settled. */
  private served = 0;
  private settleTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly server: net.Server,
    readonly socketPath: string,
    handler: ControlHandler,
    limits: ControlLimits,
  ) {
    server.on('connection', (socket) => {
      this.settleAfterBurst();
      if (this.clients.size >= limits.maxClients) {
        handler.closed?.('refused');
        // Told why; what it sends is read and dropped (closing on unread input would reset
        // the connection before the client reads the line), and it is closed when it hangs
        // up or after a grace time.
        socket.on('error', () => socket.destroy());
        socket.end(jsonLine({ ok: false, error: `too many control clients (${limits.maxClients}): try again later` }));
        socket.resume();
        setTimeout(() => socket.destroy(), REFUSE_GRACE_MS).unref();
        return;
      }
      this.clients.add(socket);
      socket.on('close', () => this.clients.delete(socket));
      serve(socket, handler, limits);
    });
  }

  /**
   * A burst of clients leaves its garbage (sockets and their state, which live through
   * scavenges) in V8's old generation, which V8 collects only once it has grown by tens of
   * MB: about 1 MB of RSS per 200 clients until then. Collected at once when the burst is
   * over: 20-30 ms of the main thread, as at start; the data-path workers forward meanwhile.
   */
  private settleAfterBurst(): void {
    if (++this.served < SETTLE_AFTER_CLIENTS) return;
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.served = 0;
      settleHeap();
    }, SETTLE_QUIET_MS).unref();
  }

  /** Listens on `socketPath`, replacing a stale socket file but never a live one. */
  static async start(socketPath: string, handler: ControlHandler, limits: ControlLimits = CONTROL_LIMITS): Promise<ControlServer> {
    mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o755 });
    if (await inUse(socketPath)) throw new RuntimeError(`control socket ${socketPath} is in use by another running vxlan-tap`);
    // Only a stale socket is replaced: anything else at that path is the user's.
    const existing = lstatIfAny(socketPath);
    if (existing !== undefined && !existing.isSocket()) throw new RuntimeError(`--control ${socketPath} exists and is not a socket`);
    if (existing !== undefined) unlinkSync(socketPath);
    const server = net.createServer();
    const control = new ControlServer(server, socketPath, handler, limits);
    for (let attempt = 1; ; attempt++) {
      try {
        await listen(server, socketPath);
        return control;
      } catch (err) {
        // Another vxlan-tap stopping in this namespace (a handover's predecessor) removes
        // the folder once its own socket is gone, which may fall between our mkdir and bind.
        if (attempt < LISTEN_ATTEMPTS && !existsSync(path.dirname(socketPath))) {
          mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o755 });
          continue;
        }
        throw new RuntimeError(`cannot listen on control socket ${socketPath}: ${(err as Error).message}`);
      }
    }
  }

  /**
   * Stops listening, hangs up on every client (monitors included) once what was written
   * to it is sent, removes the file.
   */
  stop(): void {
    clearTimeout(this.settleTimer);
    this.server.close();
    for (const client of this.clients) {
      client.end();
      setTimeout(() => client.destroy(), HANG_UP_GRACE_MS).unref();
    }
    // A namespace's folder under /run/vxlan-tap goes with its last socket; no other folder.
    const folder = path.dirname(this.socketPath);
    const ours = path.dirname(folder) === CONTROL_DIR && path.basename(folder).startsWith('netns-');
    for (const remove of [() => unlinkSync(this.socketPath), () => ours && rmdirSync(folder)]) {
      try {
        remove();
      } catch {
        // the socket is already gone (closing removed it); the folder holds others
      }
    }
  }
}
