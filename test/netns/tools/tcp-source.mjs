// Connects to host:port, sends <megabytes> MB of seeded pseudo-random bytes, closes, and
// prints "<bytes> <sha256>" of what it sent.
import net from 'node:net';
import { createHash } from 'node:crypto';

const [host, port, megabytes, seed] = process.argv.slice(2);
const total = Number(megabytes) * 1024 * 1024;
const data = Buffer.alloc(total);
let x = Number(seed) >>> 0 || 1;
for (let i = 0; i < total; i += 4) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  data.writeUInt32LE(x >>> 0, i);
}
const socket = net.connect(Number(port), host, () => {
  socket.end(data, () => process.stdout.write(`${total} ${createHash('sha256').update(data).digest('hex')}\n`));
});
socket.on('error', (err) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
setTimeout(() => process.exit(3), 60_000).unref();
