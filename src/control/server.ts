// The control socket of one segment: a Unix socket (mode 0600) speaking line-based JSON.
// Each request line gets one response line, {"ok":true,"result":...} or
// {"ok":false,"error":"..."}; a "monitor" request gets {"ok":true} and then one line per
// event until the client hangs up.
import net from 'node:net';
import { lstatSync, mkdirSync, rmdirSync, unlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../config/errors.js';
import { namedNetworkNamespace } from '../config/system.js';
import { RequestError, type ControlRequest } from './commands.js';
import { jsonLine, readLines, sendLine } from './json-lines.js';

export const CONTROL_DIR = '/run/vxlan-tap';
const MAX_REQUEST_CHARS = 64 * 1024;
/** Events a monitor client may leave unread before it is cut off (memory stays bounded). */
const MAX_MONITOR_BACKLOG = 10_000;
/** Time a cut-off client gets to read the message saying so. */
const CUT_OFF_GRACE_MS = 1000;
/** Time clients get at stop to read their last answer (a handover's). */
const HANG_UP_GRACE_MS = 1000;

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
}

/**
 * Streams events to a monitor client. One that leaves MAX_MONITOR_BACKLOG events unread
 * is cut off: told why, its unread events counted as lost, hung up on.
 */
function subscribeMonitor(socket: net.Socket, handler: ControlHandler): () => void {
  let unread = 0;
  let unsubscribe = (): void => {};
  const flushed = (): void => void unread--;
  unsubscribe = handler.subscribe!((event) => {
    if (unread < MAX_MONITOR_BACKLOG) {
      unread++;
      sendLine(socket, event, flushed);
      return;
    }
    unsubscribe();
    handler.cutOff?.(unread + 1);
    socket.end(jsonLine({ ok: false, error: `monitor cut off: ${unread + 1} events were not read in time` }));
    setTimeout(() => socket.destroy(), CUT_OFF_GRACE_MS).unref();
  });
  return unsubscribe;
}

function serve(socket: net.Socket, handler: ControlHandler): void {
  let unsubscribe: (() => void) | undefined;
  const send = (message: unknown): void => sendLine(socket, message);
  readLines(
    socket,
    (text) => {
      const line = text.trim();
      if (line === '') return true;
      let request: ControlRequest;
      try {
        request = JSON.parse(line) as ControlRequest;
        if (typeof request !== 'object' || request === null || typeof request.cmd !== 'string') throw new Error();
      } catch {
        send({ ok: false, error: 'each request is one JSON object with a "cmd" field, on one line' });
        return true;
      }
      if (request.cmd === 'monitor' && handler.subscribe !== undefined) {
        unsubscribe ??= subscribeMonitor(socket, handler);
        send({ ok: true });
        return true;
      }
      Promise.resolve()
        .then(() => handler.run(request))
        .then(
          (result) => send({ ok: true, result: result ?? null }),
          (err: Error) => send({ ok: false, error: err instanceof RequestError ? err.message : `internal error: ${err.message}` }),
        );
      return true;
    },
    MAX_REQUEST_CHARS, // not a control client
  );
  socket.on('close', () => unsubscribe?.());
  socket.on('error', () => socket.destroy());
}

export class ControlServer {
  private readonly clients = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly socketPath: string,
  ) {
    server.on('connection', (socket) => {
      this.clients.add(socket);
      socket.on('close', () => this.clients.delete(socket));
    });
  }

  /** Listens on `socketPath`, replacing a stale socket file but never a live one. */
  static async start(socketPath: string, handler: ControlHandler): Promise<ControlServer> {
    mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o755 });
    if (await inUse(socketPath)) throw new RuntimeError(`control socket ${socketPath} is in use by another running vxlan-tap`);
    // Only a stale socket is replaced: anything else at that path is the user's.
    const existing = lstatIfAny(socketPath);
    if (existing !== undefined && !existing.isSocket()) throw new RuntimeError(`--control ${socketPath} exists and is not a socket`);
    if (existing !== undefined) unlinkSync(socketPath);
    const server = net.createServer((socket) => serve(socket, handler));
    const control = new ControlServer(server, socketPath);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new RuntimeError(`cannot listen on control socket ${socketPath}: ${err.message}`)));
      // Owner-only from the moment it exists: bind happens inside listen().
      const umask = process.umask(0o177);
      try {
        server.listen(socketPath, () => resolve());
      } finally {
        process.umask(umask);
      }
    });
    return control;
  }

  /**
   * Stops listening, hangs up on every client (monitors included) once what was written
   * to it is sent, removes the file.
   */
  stop(): void {
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
