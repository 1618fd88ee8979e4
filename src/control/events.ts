// Events a VTEP reports to `vxlan-tap monitor` subscribers (and the log): FDB learn,
// move and age, and the l2miss/l3miss notifications a controller answers.

export type VtepEvent =
  | { event: 'learn' | 'move' | 'age'; vni: number; mac: string; dst: string | undefined }
  | { event: 'l2miss'; vni: number; mac: string }
  | { event: 'l3miss'; vni: number; ip: string };

export class EventHub {
  private readonly subscribers = new Set<(event: VtepEvent) => void>();
  /** Events never delivered to a subscriber cut off for reading too slowly. */
  lost = 0;
  /** Subscribers cut off for reading too slowly. */
  cutOff = 0;

  /** Returns the function that ends the subscription. */
  subscribe(subscriber: (event: VtepEvent) => void): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  publish(event: VtepEvent): void {
    for (const subscriber of this.subscribers) subscriber(event);
  }
}

/** One line per event, in the spirit of `ip monitor` / `bridge monitor fdb`. */
export function describeEvent(e: VtepEvent): string {
  switch (e.event) {
    case 'l2miss':
      return `l2miss ${e.mac} vni ${e.vni}`;
    case 'l3miss':
      return `l3miss ${e.ip} vni ${e.vni}`;
    default:
      return `${e.event} ${e.mac} dst ${e.dst ?? '-'} vni ${e.vni}`;
  }
}
