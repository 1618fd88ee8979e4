// Listens on the given port, takes one TCP connection and prints "<bytes> <sha256>" when
// the sender closes it.
import net from 'node:net';
import { createHash } from 'node:crypto';

const [host, port] = process.argv.slice(2);
const server = net.createServer((socket) => {
  const hash = createHash('sha256');
  let bytes = 0;
  socket.on('data', (chunk) => {
    bytes += chunk.length;
    hash.update(chunk);
  });
  socket.on('end', () => {
    process.stdout.write(`${bytes} ${hash.digest('hex')}\n`);
    server.close();
  });
});
server.listen(Number(port), host, () => process.stderr.write('listening\n'));
setTimeout(() => process.exit(3), 60_000).unref();
