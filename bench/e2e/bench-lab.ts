// The lab the benchmark builds each setup in: a Lab that also stops, on cleanup, what does
// not run as one of its child processes (daemons that detach, such as Open vSwitch's).
import { Lab } from '../../lab/lab.js';

export class BenchLab extends Lab {
  private readonly stops: (() => Promise<void>)[] = [];

  /** Runs `stop` on cleanup, before the lab's own processes and namespaces go; the last added runs first. */
  atCleanup(stop: () => Promise<void>): void {
    this.stops.push(stop);
  }

  override async cleanup(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) await stop().catch(() => undefined);
    await super.cleanup();
  }
}
