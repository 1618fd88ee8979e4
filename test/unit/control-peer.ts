// A raw client of a control socket for the tests of its bounds: what it read, as lines,
// and when it was closed.
import net from 'node:net';

export interface Peer {
  socket: net.Socket;
  /** Everything read so far, as lines. */
  lines(): string[];
  closed: Promise<void>;
}

export function connectPeer(socketPath: string): Promise<Peer> {
  const socket = net.connect(socketPath);
  let text = '';
  socket.on('data', (chunk: Buffer) => void (text += chunk.toString()));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, closed, lines: () => text.split('\n').filter((l) => l !== '') }));
    socket.once('error', reject);
  });
}
