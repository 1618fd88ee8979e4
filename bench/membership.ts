// Membership at scale (root; a benchmark, not a test): one vxlan-tap follows an etcd into
// which 1,000 simulated members are written straight, then a churn of joins and leaves.
// Reports the time until the vxlan-tap has programmed all of them, its memory per member,
// and how far behind the store it runs under churn.
//   npm run bench:membership [-- <members> <churnSeconds> <churnPerSecond>]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, type VtepProcess } from '../lab/lab.js';
import { EtcdStore } from '../lab/etcd.js';
import { request } from '../src/control/client.js';
import type { FdbRow } from '../src/control/commands.js';
import { simulatedMac } from './membership/simulated.js';
import { formatTable } from './table.js';
import { MEMBERSHIP_BENCH_TOOLS, missingToolsLine } from '../lab/system-tools.js';

const [MEMBERS, CHURN_SECONDS, CHURN_RATE] = [1000, 10, 100].map((d, i) => Number(process.argv[2 + i] ?? d)) as [number, number, number];
const WRITER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'membership', 'writer.js');
const ETCD = '198.51.100.10';
const POLL_MS = 10;
const CHURN_POLL_MS = 50;
const PROGRAM_TIMEOUT_MS = 120_000;

const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

/** The heapUsed of the last "stats" log line so far. */
function lastHeapUsed(vtep: VtepProcess): number {
  const lines = vtep.stderr().split('\n').filter((l) => l.includes('"msg":"stats"'));
  return (JSON.parse(lines.at(-1) ?? '{"heapUsed":0}') as { heapUsed: number }).heapUsed;
}

/** Runs the writer in the etcd namespace and resolves with its JSON result line. */
function runWriter(lab: Lab, ns: string, ...args: string[]): Promise<Record<string, unknown>> {
  const writer = lab.spawn(ns, process.execPath, WRITER, `http://${ETCD}:2379`, '/vxlan-tap/', 'default', ...args);
  let out = '';
  writer.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  writer.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return new Promise((resolve, reject) =>
    writer.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`writer ${args[0]} exited with ${code}`)))),
  );
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the membership benchmark needs root: it creates network namespaces');
  const missing = missingToolsLine('the membership benchmark needs', MEMBERSHIP_BENCH_TOOLS);
  if (missing !== undefined) throw new Error(missing);
  const lab = new Lab('bench-mbr');
  const sw = lab.namespace('sw');
  const host = lab.namespace('h1');
  lab.link(sw, `${ETCD}/24`, host, '198.51.100.1/24');
  lab.ip(host, 'addr', 'add', '2001:db8::1/64', 'dev', 'ul0');
  const etcd = new EtcdStore(lab, sw, [ETCD]);
  process.once('SIGINT', () => void Promise.all([lab.cleanup(), etcd.cleanup()]).finally(() => process.exit(130)));
  try {
    await etcd.start();
    // IPv6 underlay: the simulated members live at 2001:db8:ffff::/48, inside this lab only.
    const startVtep = (): Promise<VtepProcess> => lab.vtep(host, '--vni', '42', '--tap', 'vxt0', '--local', '2001:db8::1', '--etcd', `http://${ETCD}:2379`, '--stats-interval', '1');
    let vtep = await startVtep();
    const socket = /"control":"([^"]+)"/.exec(vtep.stderr())?.[1] ?? `/run/vxlan-tap/netns-${host}/vxt0.sock`;
    const stats = async (): Promise<number> => ((await request(socket, { cmd: 'stats' })) as { fdbEntries: number }).fdbEntries;
    /** Polls until every member is in the FDB; resolves with the time it was seen, 0 on timeout. */
    const programmedAll = async (since: number): Promise<number> => {
      while (Date.now() - since < PROGRAM_TIMEOUT_MS) {
        if ((await stats()) === MEMBERS + 1) return Date.now();
        await sleep(POLL_MS);
      }
      return 0;
    };
    await sleep(2500); // two stats samples at rest
    const pid = vtep.child.pid!;
    const rssBefore = rssBytes(pid);
    const heapBefore = lastHeapUsed(vtep);

    // 1. Bulk: every member written as fast as etcd takes them.
    const bulkDone = runWriter(lab, sw, 'bulk', String(MEMBERS));
    bulkDone.catch(() => undefined); // awaited below; a failure must not end the process before cleanup
    const programmedAt = await programmedAll(Date.now());
    const bulk = (await bulkDone) as { start: number; end: number };
    const neighbours = ((await request(socket, { cmd: 'neigh.show' })) as unknown[]).length;
    await sleep(2500);
    const rssAfter = rssBytes(pid);
    const heapAfter = lastHeapUsed(vtep);

    // 2. Churn: joins and leaves at a steady rate; each seen (or seen gone) by polling the FDB.
    const firstSeen = new Map<string, number>();
    const goneAt = new Map<string, number>();
    let present = new Set<string>();
    const churnDone = runWriter(lab, sw, 'churn', String(MEMBERS), String(CHURN_SECONDS), String(CHURN_RATE));
    let finished = false;
    churnDone.then(
      () => (finished = true),
      () => (finished = true),
    );
    const poll = async (): Promise<void> => {
      const rows = (await request(socket, { cmd: 'fdb.show' })) as FdbRow[];
      const now = Date.now();
      const macs = new Set(rows.filter((r) => r.mac !== '00:00:00:00:00:00').map((r) => r.mac));
      for (const mac of macs) if (!firstSeen.has(mac)) firstSeen.set(mac, now);
      for (const mac of present) if (!macs.has(mac) && !goneAt.has(mac)) goneAt.set(mac, now);
      present = macs;
    };
    while (!finished) {
      await poll();
      await sleep(CHURN_POLL_MS);
    }
    const churn = (await churnDone) as { joins: [number, number][]; leaves: [number, number][] };
    const churnEnd = Date.now();
    const caughtUp = (): boolean => churn.joins.every(([i]) => present.has(simulatedMac(i))) && churn.leaves.every(([i]) => !present.has(simulatedMac(i)));
    while (!caughtUp() && Date.now() - churnEnd < PROGRAM_TIMEOUT_MS) {
      await poll();
      await sleep(POLL_MS);
    }
    const catchUpMs = Date.now() - churnEnd;
    const joinLag = churn.joins.map(([i, t]) => (firstSeen.get(simulatedMac(i)) ?? NaN) - t);
    const leaveLag = churn.leaves.map(([i, t]) => (goneAt.get(simulatedMac(i)) ?? NaN) - t);

    // 3. Cold start: a vxlan-tap joining a network that has every member already (one full read).
    await vtep.stop();
    const spawned = Date.now();
    vtep = await startVtep();
    const ready = Date.now();
    const coldProgrammedAt = await programmedAll(ready);

    const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
    say(`Members written straight into etcd: ${MEMBERS}, each under its own lease`);
    say(formatTable(
      ['measure', 'value'],
      [
        ['etcd took all records (writer, 32 in flight)', `${bulk.end - bulk.start} ms`],
        ['vxlan-tap had programmed all (from first write)', programmedAt === 0 ? 'not within 120 s' : `${programmedAt - bulk.start} ms`],
        ['  FDB entries / neighbours after', `${MEMBERS + 1} / ${neighbours}`],
        ['RSS before -> after', `${mb(rssBefore)} -> ${mb(rssAfter)} MB (${((rssAfter - rssBefore) / MEMBERS / 1024).toFixed(2)} KB per member)`],
        ['heapUsed before -> after', `${mb(heapBefore)} -> ${mb(heapAfter)} MB (${((heapAfter - heapBefore) / MEMBERS / 1024).toFixed(2)} KB per member)`],
      ],
    ));
    say();
    say(`Churn: ${CHURN_RATE} joins and ${CHURN_RATE} leaves per second for ${CHURN_SECONDS} s; lag = seen in the FDB (polled every ${CHURN_POLL_MS} ms) - the write acknowledged`);
    const lagRow = (name: string, lags: number[]): string[] => [name, String(lags.length), `${percentile(lags, 50)} ms`, `${percentile(lags, 95)} ms`, `${Math.max(...lags)} ms`];
    say(formatTable(['operation', 'count', 'p50 lag', 'p95 lag', 'max lag'], [lagRow('join', joinLag), lagRow('leave', leaveLag)]));
    say(`caught up with the store ${catchUpMs} ms after the last write`);
    say();
    say(`Cold start with ${MEMBERS} members in etcd: "ready" ${ready - spawned} ms after start, all programmed ${coldProgrammedAt === 0 ? 'not within 120 s' : `${coldProgrammedAt - ready} ms after "ready"`}`);
  } finally {
    await lab.cleanup();
    await etcd.cleanup();
  }
}

await main();
