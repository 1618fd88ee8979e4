// Sends crafted VXLAN datagrams to <dst> <port>: <count> of one <kind>, optionally from
// the local address <from>, then prints "sent <n>" and exits.
//   macs:  VNI <vni>, one broadcast frame per distinct source MAC 02:00:xx:xx:xx:xx
//   move:  VNI <vni>, frames from source MAC 02:00:00:00:00:aa (an FDB hijack when forged)
//   fuzz:  seeded random and mutated datagrams: truncated, reserved bits, wrong VNI,
//          bad source MACs, inner frames of 0 to 9000 bytes
// With <perSecond>, paced at that rate (10 ms ticks); else as fast as the socket takes them.
// Usage: vxlan-send.mjs <dst> <port> <kind> <count> <vni> [from] [seed] [perSecond]
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';

const [dst, port, kind, countText, vniText, from, seedText, perSecondText] = process.argv.slice(2);
const perSecond = Number(perSecondText ?? 0);
const count = Number(countText);
const vni = Number(vniText);
let seed = Number(seedText ?? 1) >>> 0 || 1;
setTimeout(() => process.exit(3), 120_000).unref();

function random() {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
}
const below = (n) => Math.floor(random() * n);

function header(buf, v, flags = 0x08) {
  buf[0] = flags;
  buf.writeUIntBE(v, 4, 3);
}

/** A valid datagram: VXLAN header, broadcast ARP-sized frame from `srcMac`. */
function frame(srcMac, innerLength = 60) {
  const buf = Buffer.alloc(8 + Math.max(innerLength, 14));
  header(buf, vni);
  buf.fill(0xff, 8, 14);
  srcMac.copy(buf, 14);
  buf.writeUInt16BE(0x0806, 20);
  return buf.subarray(0, 8 + innerLength);
}

const mac = (i) => Buffer.from([0x02, 0x00, (i >>> 24) & 0xff, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff]);
const MOVED_MAC = Buffer.from([0x02, 0, 0, 0, 0, 0xaa]);
const valid = frame(MOVED_MAC);

/** One fuzzed datagram: a random shape, often a valid one with something broken. */
function fuzzed() {
  switch (below(8)) {
    case 0: // random bytes of random length
      return Buffer.from(Array.from({ length: below(200) }, () => below(256)));
    case 1: // a valid datagram cut short anywhere
      return valid.subarray(0, below(valid.length));
    case 2: {
      const buf = Buffer.from(valid); // reserved bits or a clear I flag
      buf[below(8)] ^= 1 << below(8);
      return buf;
    }
    case 3: {
      const buf = Buffer.from(valid); // another VNI
      header(buf, below(1 << 24));
      return buf;
    }
    case 4: {
      const buf = frame(mac(below(4))); // multicast, zero or random source MACs
      const kinds = [Buffer.from([1, 0, 0x5e, 0, 0, 1]), Buffer.alloc(6), Buffer.from(Array.from({ length: 6 }, () => below(256)))];
      kinds[below(3)].copy(buf, 14);
      return buf;
    }
    case 5: {
      const buf = frame(mac(below(64)), below(9001)); // inner frames of 0 to 9000 bytes
      for (let i = 22; i < buf.length; i += 1 + below(64)) buf[i] = below(256);
      return buf;
    }
    case 6: {
      const buf = frame(mac(below(64)), 14 + 20); // an inner IPv4 header, mutated
      buf.writeUInt16BE(0x0800, 20);
      buf[22] = 0x40 | below(16);
      for (let i = 0; i < 3; i++) buf[22 + below(20)] = below(256);
      return buf.subarray(0, 8 + 14 + below(21));
    }
    default: // valid, learned and delivered
      return frame(mac(below(64)));
  }
}

const make = { macs: (i) => frame(mac(i)), move: () => valid, fuzz: fuzzed }[kind];
if (make === undefined) {
  process.stderr.write(`unknown kind ${kind}\n`);
  process.exit(2);
}

const socket = dgram.createSocket(isIPv6(dst) ? 'udp6' : 'udp4');
await new Promise((resolve) => socket.bind({ address: from || undefined, port: 0 }, resolve));
let sent = 0;
if (perSecond > 0) {
  const perTick = Math.max(1, Math.round(perSecond / 100));
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      for (let i = 0; i < perTick && sent < count; i++) socket.send(make(sent++), Number(port), dst);
      if (sent === count) {
        clearInterval(timer);
        setTimeout(resolve, 100);
      }
    }, 10);
  });
  socket.close();
  process.stdout.write(`sent ${sent}\n`);
  process.exit(0);
}
// A bounded window of sends in flight: fast, without queueing a million buffers.
const WINDOW = 256;
let inFlight = 0;
await new Promise((resolve) => {
  const pump = () => {
    while (inFlight < WINDOW && sent < count) {
      const datagram = make(sent);
      sent++;
      inFlight++;
      socket.send(datagram, Number(port), dst, () => {
        inFlight--;
        if (sent === count && inFlight === 0) resolve();
        else if (inFlight === WINDOW / 2) setImmediate(pump);
      });
    }
  };
  pump();
});
socket.close();
process.stdout.write(`sent ${sent}\n`);
