// Traffic tools for the namespace tests: ping, a checked TCP transfer and packet capture.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync, type ChildProcess } from 'node:child_process';
import type { Lab } from '../../lab/lab.js';

/** The traffic tools (tcp-source.mjs, tcp-sink.mjs) the tests run in namespaces. */
export const TOOLS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tools');

export const isRoot = process.getuid?.() === 0;

/** Pings and returns how many replies came back (0 when ping fails outright). */
export function ping(lab: Lab, ns: string, address: string, count = 3, interval = '0.2', size = '56'): number {
  let output: string;
  try {
    output = lab.exec(ns, 'ping', '-c', String(count), '-i', interval, '-W', '2', '-s', size, address);
  } catch (err) {
    output = String((err as { stdout?: string }).stdout ?? '');
  }
  return Number(/(\d+) received/.exec(output)?.[1] ?? 0);
}

/** Like ping(), but without blocking this process's event loop while it runs. */
export async function pingAsync(lab: Lab, ns: string, address: string, count = 3, interval = '0.2'): Promise<number> {
  const child = lab.spawn(ns, 'ping', '-c', String(count), '-i', interval, '-W', '2', address);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  return Number(/(\d+) received/.exec(output)?.[1] ?? 0);
}

function lineFrom(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${text}`)), timeoutMs);
    child[stream]!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = text.split('\n').find((line) => pattern.test(line));
      if (match !== undefined) {
        clearTimeout(timer);
        resolve(match);
      }
    });
  });
}

/**
 * Sends `megabytes` of seeded random data over TCP from `fromNs` to `toAddress` (port
 * 5001 in `toNs`) and resolves with what each side saw: "<bytes> <sha256>".
 */
export async function tcpTransfer(lab: Lab, toNs: string, toAddress: string, fromNs: string, megabytes: number): Promise<{ sent: string; received: string }> {
  const sink = lab.spawn(toNs, process.execPath, path.join(TOOLS, 'tcp-sink.mjs'), toAddress, '5001');
  await lineFrom(sink, 'stderr', /listening/);
  const received = lineFrom(sink, 'stdout', /^\d+ [0-9a-f]{64}$/, 60_000);
  const source = lab.spawn(fromNs, process.execPath, path.join(TOOLS, 'tcp-source.mjs'), toAddress, '5001', String(megabytes), '7');
  const sent = await lineFrom(source, 'stdout', /^\d+ [0-9a-f]{64}$/, 60_000);
  return { sent, received: await received };
}

/**
 * Sends `count` UDP datagrams of `size` bytes, 20 ms apart, from `fromNs` to `toAddress`
 * (port 9000 in `toNs`) and resolves with how many arrived.
 */
export async function udpDatagrams(lab: Lab, toNs: string, toAddress: string, fromNs: string, count: number, size: number): Promise<number> {
  const type = toAddress.includes(':') ? 'udp6' : 'udp4';
  const sink =
    `const s=require('dgram').createSocket('${type}');let n=0;` +
    `s.on('message',()=>{if(++n===${count}){console.log(n);process.exit(0)}});` +
    `s.bind(9000,'${toAddress}',()=>console.error('listening'));setTimeout(()=>{console.log(n);process.exit(0)},${count * 20 + 5000});`;
  const source =
    `const s=require('dgram').createSocket('${type}');let i=0;` +
    `const go=()=>{if(i===${count})return s.close();s.send(Buffer.alloc(${size},i),9000,'${toAddress}',()=>{i++;setTimeout(go,20)})};go();`;
  const receiver = lab.spawn(toNs, process.execPath, '-e', sink);
  await lineFrom(receiver, 'stderr', /listening/);
  const received = lineFrom(receiver, 'stdout', /^\d+$/, count * 20 + 10_000);
  lab.spawn(fromNs, process.execPath, '-e', source);
  return Number(await received);
}

export interface Capture {
  /** Stops tcpdump and resolves with one line per captured packet. */
  stop(): Promise<string[]>;
}

/** Starts tcpdump on `dev` in `ns` (extra flags, then the filter); resolves once it listens. */
export async function capture(lab: Lab, ns: string, dev: string, ...flagsAndFilter: string[]): Promise<Capture> {
  const child = lab.spawn(ns, 'tcpdump', '-i', dev, '-n', '-l', '--immediate-mode', ...flagsAndFilter);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await lineFrom(child, 'stderr', /listening on/);
  return {
    stop: async () => {
      await new Promise((resolve) => setTimeout(resolve, 200)); // let the last packets land
      child.kill('SIGTERM');
      await exited;
      return out.split('\n').filter((line) => line.trim() !== '');
    },
  };
}

/** Polls `check` every 50 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    if (check()) return true;
  }
  return check();
}

const CLI = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;

/** Runs the built `vxlan-tap` with `args` inside `ns`; its exit status and stderr. */
export function runCli(ns: string, ...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, CLI, ...args], { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stderr: r.stderr };
}

/** The names of the interfaces in `ns`. */
export function linkNames(lab: Lab, ns: string): string[] {
  return (JSON.parse(lab.ip(ns, '-j', 'link', 'show')) as { ifname: string }[]).map((l) => l.ifname);
}

/** `vxlan-tap stats --json` in `ns` of the VTEP named by `target` (--tap NAME or --control PATH). */
export function vtepStats(lab: Lab, ns: string, ...target: string[]): Record<string, any> {
  return JSON.parse(lab.exec(ns, process.execPath, CLI, 'stats', '--json', ...target)) as Record<string, any>;
}

/** Datagrams the kernel dropped in `ns` because a UDP socket's receive buffer was full. */
export function udpReceiveBufferErrors(lab: Lab, ns: string): number {
  const lines = lab.exec(ns, 'cat', '/proc/net/snmp').split('\n').filter((l) => l.startsWith('Udp:'));
  const [names, values] = lines.map((l) => l.split(/\s+/));
  return Number(values![names!.indexOf('RcvbufErrors')]);
}

/**
 * Runs tools/vxlan-send.mjs in `ns`: `count` datagrams of `kind` to dst:4789 for `vni`,
 * from the local address `from` if given, `perSecond` a second if given (else as fast as
 * they go). Resolves once all are sent.
 */
export async function sendVxlan(lab: Lab, ns: string, dst: string, kind: 'macs' | 'move' | 'fuzz', count: number, vni: number, from = '', seed = 1, perSecond = 0): Promise<void> {
  const child = lab.spawn(ns, process.execPath, path.join(TOOLS, 'vxlan-send.mjs'), dst, '4789', kind, String(count), String(vni), from, String(seed), String(perSecond));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`vxlan-send ${kind} failed (${code}): ${stderr}`);
}
