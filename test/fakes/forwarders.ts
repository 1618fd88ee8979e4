// The data-path worker run beside the test instead of in a thread: the same Forwarder,
// on the in-memory underlay, its messages structured-cloned both ways (as between
// threads) but delivered at once, so that a frame walk stays synchronous.
import type { Logger } from 'pino';
import { Forwarder } from '../../src/datapath/forwarder.js';
import type { ForwarderLink, ForwarderPorts, PacketLayout, UnderlayTransport } from '../../src/datapath/ports.js';

export class InlineForwarders implements ForwarderPorts {
  constructor(
    private readonly underlay: UnderlayTransport,
    private readonly layout: PacketLayout,
    private readonly log: Logger,
  ) {}

  startedNice(): number {
    return 0;
  }

  forwarding(): void {}

  handingOver(): void {}

  start(spec: Parameters<ForwarderPorts['start']>[0], onMessage: Parameters<ForwarderPorts['start']>[1]): ForwarderLink {
    if (spec.count !== 1) throw new Error('the in-memory underlay serves one worker');
    const forwarder = new Forwarder(spec.config, this.underlay, this.layout, spec.board, this.log, (message) => onMessage(structuredClone(message)));
    void forwarder.open();
    return {
      post: (message) => forwarder.handle(structuredClone(message)),
      attach: (taps) => forwarder.attach(taps),
      stop: () => {
        forwarder.handle({ kind: 'stop' });
        return Promise.resolve();
      },
    };
  }
}
