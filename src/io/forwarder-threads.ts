// Data-path workers as threads of this process (node:worker_threads), each running
// forwarder-thread.ts. The TAP queues are opened by the main thread and handed over as
// fds; each worker binds its own sockets.
import { Worker } from 'node:worker_threads';
import type { ForwarderLink, ForwarderPorts } from '../datapath/ports.js';
import type { FromForwarder } from '../datapath/messages.js';
import type { ThreadData, ThreadId, ThreadMessage } from './forwarder-thread.js';
import { startedNice, stopYielding, yieldToWorkers } from './priority.js';

const ENTRY = new URL('./forwarder-thread.js', import.meta.url);
/** How long a worker asked to stop may take before it is ended from outside. */
const STOP_TIMEOUT_MS = 2000;
/**
 * A small young generation: a worker allocates little per packet, but a big table change
 * (a reload) allocates entries that all survive, and the scavenges that copy them stay
 * short (a few ms instead of 20) when the young generation is.
 */
const YOUNG_GENERATION_MB = 3;

/** Workers that log as the main thread does (`logFormat`). */
export function threadForwarders(logFormat: 'json' | 'pretty'): ForwarderPorts {
  const workerTids = new Set<number>();
  startedNice();
  return {
    startedNice,
    // Once every worker runs: one started later would inherit the lowered priority of the
    // thread that started it, and taking that back needs privilege.
    forwarding: () => yieldToWorkers(workerTids),
    handingOver: stopYielding,
    start(spec, onMessage, onExit): ForwarderLink {
      const data: ThreadData = { ...spec, inheritedUdpFd: spec.inheritedUdpFd, logFormat };
      const worker = new Worker(ENTRY, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
      let ended = false;
      let exited = false;
      let stopped = false;
      let onStopped = (): void => {};
      worker.once('exit', () => (exited = true));
      const end = (reason: string): void => {
        if (ended) return;
        ended = true;
        onExit(reason);
      };
      worker.on('message', (message: FromForwarder | ThreadId) => {
        if (message.kind === 'stopped') {
          stopped = true;
          return onStopped();
        }
        if (message.kind !== 'thread') return onMessage(message);
        workerTids.add(message.tid);
      });
      worker.once('error', (err) => end(`data-path thread ${spec.index} failed: ${err.message}`));
      worker.once('exit', (code) => end(`data-path thread ${spec.index} exited (${code})`));
      const post = (message: ThreadMessage): void => worker.postMessage(message);
      return {
        post,
        attach: (taps) => post({ kind: 'attach', taps: taps.map((t) => ({ fd: t.handoverFd()!, name: t.name })) }),
        // Resolves once it has stopped reading ('stopped'), or ended: a handover's successor
        // waits for no thread teardown.
        stop: () => {
          if (exited || stopped) return Promise.resolve();
          const gone = new Promise<void>((resolve) => {
            worker.once('exit', () => resolve());
            onStopped = resolve;
          });
          if (!ended) {
            ended = true;
            post({ kind: 'stop' });
            const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
            worker.once('exit', () => clearTimeout(timer));
          }
          return gone;
        },
      };
    },
  };
}
