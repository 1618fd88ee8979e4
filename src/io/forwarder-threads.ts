// Data-path workers as threads of this process (node:worker_threads), each running
// forwarder-thread.ts. The TAP queues are opened by the main thread and handed over as
// fds; each worker binds its own sockets.
import { Worker } from 'node:worker_threads';
import type { ForwarderLink, ForwarderPorts } from '../datapath/ports.js';
import type { FromForwarder } from '../datapath/messages.js';
import type { ThreadData, ThreadMessage } from './forwarder-thread.js';

const ENTRY = new URL('./forwarder-thread.js', import.meta.url);
/** How long a worker asked to stop may take before it is ended from outside. */
const STOP_TIMEOUT_MS = 2000;

/** Workers that log as the main thread does (`logFormat`). */
export function threadForwarders(logFormat: 'json' | 'pretty'): ForwarderPorts {
  return {
    start(spec, onMessage, onExit): ForwarderLink {
      const data: ThreadData = { ...spec, inheritedUdpFd: spec.inheritedUdpFd, logFormat };
      const worker = new Worker(ENTRY, { workerData: data });
      let ended = false;
      const end = (reason: string): void => {
        if (ended) return;
        ended = true;
        onExit(reason);
      };
      worker.on('message', (message: FromForwarder) => onMessage(message));
      worker.once('error', (err) => end(`data-path thread ${spec.index} failed: ${err.message}`));
      worker.once('exit', (code) => end(`data-path thread ${spec.index} exited (${code})`));
      const post = (message: ThreadMessage): void => worker.postMessage(message);
      return {
        post,
        attach: (taps) => post({ kind: 'attach', taps: taps.map((t) => ({ fd: t.handoverFd()!, name: t.name })) }),
        stop: () => {
          if (ended) return;
          ended = true;
          post({ kind: 'stop' });
          const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
          worker.once('exit', () => clearTimeout(timer));
        },
      };
    },
  };
}
