// An in-memory TAP device: what the kernel would hand the data path (frames a host on the
// TAP sends) is put in with `hostSends`, and what the data path writes to the TAP is kept
// in `written`, byte for byte. No root, no device.
import type { DatagramBatch, FrameBatch } from '../../src/engine/batch.js';
import type { PacketLayout, TapOffloadStats, TapOptions, TapPort, TapPorts } from '../../src/datapath/ports.js';

interface Reading {
  region: Uint8Array;
  batch: DatagramBatch;
  frameCapacity: number;
  onBatch: (count: number) => void;
  onFailure: (code: string) => void;
}

export class FakeTap implements TapPort {
  /** Frames the data path wrote to the TAP (decapsulated, or the proxy's answers), in order. */
  readonly written: Uint8Array[] = [];
  /** The frame lengths of each write call: how the data path batched its writes. */
  readonly writeCalls: number[][] = [];
  /** The TAP's queue is full: every write is refused. */
  refuseWrites = false;
  closed = false;
  private reading: Reading | undefined;

  constructor(
    readonly name: string,
    readonly mac: Uint8Array,
    private readonly layout: PacketLayout,
    readonly offload = false,
  ) {}

  startReading(region: ArrayBuffer, batch: DatagramBatch, frameCapacity: number, onBatch: (count: number) => void, onFailure: (code: string) => void): void {
    this.reading = { region: new Uint8Array(region), batch, frameCapacity, onBatch, onFailure };
  }

  /**
   * A host on the TAP sends these frames: they are read as one batch, each behind the
   * header room, as the addon's reader lays them out. Frames larger than the reader's
   * capacity are dropped, as the kernel's short read makes the reader drop them.
   */
  hostSends(...frames: Uint8Array[]): void {
    const r = this.reading;
    if (r === undefined) throw new Error('the data path is not reading this TAP');
    const { headroom, alignment } = this.layout;
    r.batch.reset();
    let cursor = 0;
    for (const frame of frames) {
      if (frame.length > r.frameCapacity) continue;
      r.region.set(frame, cursor + headroom);
      r.batch.pushReceived(cursor, headroom + frame.length, headroom + frame.length, 0, 0);
      cursor += Math.ceil((headroom + frame.length) / alignment) * alignment;
    }
    const count = r.batch.count;
    r.batch.reset();
    if (count > 0) r.onBatch(count);
  }

  /** The device fails (deleted from outside): reading stops. */
  fail(code: string): void {
    const r = this.reading;
    this.reading = undefined;
    r?.onFailure(code);
  }

  writeFrames(buf: Uint8Array, frames: FrameBatch): number {
    this.writeCalls.push(Array.from({ length: frames.count }, (_, i) => frames.length(i)));
    let taken = 0;
    for (let i = 0; i < frames.count; i++) {
      const offset = frames.offset(i);
      const length = frames.length(i);
      if (this.refuseWrites) {
        frames.words[i * this.layout.batches.frame.stride + this.layout.batches.frame.length] = -length;
        continue;
      }
      this.written.push(buf.slice(offset, offset + length));
      taken++;
    }
    return taken;
  }

  offloadStats(): TapOffloadStats | undefined {
    return undefined;
  }

  handoverFd(): undefined {
    return undefined;
  }

  close(): void {
    this.closed = true;
    this.reading = undefined;
  }
}

/** Makes FakeTaps: tap0, tap1, ... unless named; the MAC asked for, or one made up. */
export class FakeTaps implements TapPorts {
  readonly opened: FakeTap[] = [];

  constructor(private readonly layout: PacketLayout) {}

  /** One queue: the in-memory underlay serves one worker. */
  open(options: TapOptions): FakeTap[] {
    const name = options.name === '' ? `tap${this.opened.length}` : options.name;
    const given = typeof options.mac === 'function' ? options.mac(name) : options.mac;
    const tap = new FakeTap(name, given ?? Uint8Array.of(0x02, 0xfa, 0x4e, 0, 0, this.opened.length + 1), this.layout);
    this.opened.push(tap);
    return [tap];
  }

  adopt(_fd: number, name: string): FakeTap {
    return this.open({ name, mtu: 1450, addresses: [], offload: false, coalesce: false, queues: 1 })[0]!;
  }
}
