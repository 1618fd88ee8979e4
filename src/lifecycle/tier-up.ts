// V8 optimises a function once it has run about 66 KB of bytecode. The data path runs a
// few hundred bytecodes per packet, so at a trickle of packets (pings, ACKs, ARP) it
// would stay in the baseline tier for thousands of packets, and each wake-up after a
// sleep would walk inline caches and feedback vectors that other processes have pushed
// out of the CPU caches: about a fifth more CPU per packet here, a tenth more latency. A smaller
// budget makes V8 optimise what runs often after a few dozen packets instead; the
// control plane's code, which runs rarely, is hardly affected.
import v8 from 'node:v8';

/** Bytecode (bytes) a function runs between V8's tier-up checks; V8's own default is 67584. */
export const INTERRUPT_BUDGET = 1024;

/** Call before the data path first runs: the budget is given to functions as they start to run. */
export function tierUpEarly(): void {
  v8.setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
}
