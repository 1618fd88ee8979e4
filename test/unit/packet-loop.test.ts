// The packet loop (native/src/packet_loop.h) hands a reader's packets to JS without a turn
// of Node's event loop per wake-up: each turn allocates on the JS heap (an object in the
// check phase, whatever ran), and at a packet per turn a data-path worker's young
// generation filled and was collected in steady state. A thread that does nothing but
// read a FIFO, one byte a millisecond, must not see its young generation grow.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKET_LAYOUT } from '../../src/io/batch-layout.js';
import { packageRoot } from '../../src/io/package-root.js';

const WAKE_UPS = 1000;

// The reading thread: an FdReader whose callback only counts; the young generation's use
// is read after the first hundred wake-ups and again WAKE_UPS later.
const READER = `
const { workerData, parentPort } = require('node:worker_threads');
const v8 = require('node:v8');
const native = require(workerData.addon);
const youngUsed = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_used_size;
let calls = 0;
let before = 0;
const reader = new native.FdReader(workerData.fd, new ArrayBuffer(64 * 2048), new Int32Array(64 * workerData.stride), 1600, () => {
  calls++;
  if (calls === 100) before = youngUsed();
  if (calls < 100 + workerData.wakeUps) return;
  const grew = youngUsed() - before;
  reader.stop();
  parentPort.postMessage(grew);
});
reader.start();
parentPort.postMessage('reading');
`;

// A reading thread that keeps reading (the main thread ends it from outside, as it ends a
// data-path worker that does not stop in time).
const ENDLESS_READER = `
const { workerData, parentPort } = require('node:worker_threads');
const native = require(workerData.addon);
let calls = 0;
const reader = new native.FdReader(workerData.fd, new ArrayBuffer(64 * 2048), new Int32Array(64 * workerData.stride), 1600, () => {
  if (++calls === 20) parentPort.postMessage('reading');
});
reader.start();
`;

describe('the packet loop', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vxlan-tap-loop-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads packets from idle without allocating on the JS heap', async () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const readFd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    const writeFd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const addon = path.join(packageRoot(), 'build/Release/vxlan_native.node');
    const worker = new Worker(READER, { eval: true, workerData: { addon, fd: readFd, stride: PACKET_LAYOUT.batches.datagram.stride, wakeUps: WAKE_UPS } });
    let writer: NodeJS.Timeout | undefined;
    try {
      const grew = await new Promise<number>((resolve, reject) => {
        worker.on('error', reject);
        worker.on('message', (message: 'reading' | number) => {
          if (message === 'reading') writer = setInterval(() => writeSync(writeFd, 'x'), 1);
          else resolve(message);
        });
      });
      // About 56 bytes a wake-up when every wake-up was a turn of the event loop.
      expect(grew).toBeGreaterThanOrEqual(0);
      expect(grew).toBeLessThan(8 * 1024);
    } finally {
      clearInterval(writer);
      await worker.terminate();
      closeSync(readFd);
      closeSync(writeFd);
    }
  }, 20_000);

  it('lets a thread be ended from outside while it reads, without ending the process', async () => {
    const addon = path.join(packageRoot(), 'build/Release/vxlan_native.node');
    for (let round = 0; round < 8; round++) {
      const fifo = path.join(dir, `busy-${round}`);
      execFileSync('mkfifo', [fifo]);
      const readFd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
      const writeFd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      const writer = setInterval(() => writeSync(writeFd, 'x'), 1);
      const worker = new Worker(ENDLESS_READER, { eval: true, workerData: { addon, fd: readFd, stride: PACKET_LAYOUT.batches.datagram.stride } });
      try {
        await new Promise((resolve, reject) => {
          worker.on('error', reject);
          worker.on('message', resolve);
        });
        // Node's FATAL ERROR (a callback that cannot run, thrown as an error that cannot
        // be thrown) ended the whole process here, about every other time.
        expect(await worker.terminate()).toBe(1);
      } finally {
        clearInterval(writer);
        closeSync(readFd);
        closeSync(writeFd);
      }
    }
  }, 30_000);
});
