// The base of the wire views: a header read and written in place, in a buffer the view
// does not own. A view is made once and pointed at one packet after another (wrap), so
// reading a field allocates nothing; the subclass names the fields and says how long the
// header must be. Offsets given to and returned by accessors are absolute in `buf`.

const EMPTY = new Uint8Array(0);

export abstract class WireView {
  /** The buffer the view currently reads. */
  buf: Uint8Array = EMPTY;
  /** Where the header starts in `buf`. */
  start = 0;
  /** The bytes from `start` that belong to this packet (header and payload). */
  length = 0;

  /**
   * Points the view at buf[offset, offset+length); false when those bytes cannot hold
   * this header (too short, or a version or length field that does not fit), in which
   * case no accessor may be used.
   */
  wrap(buf: Uint8Array, offset: number, length: number): boolean {
    this.buf = buf;
    this.start = offset;
    this.length = length;
    return offset >= 0 && length >= 0 && offset + length <= buf.length && this.checkLength();
  }

  /**
   * Points the view at a header whose length was checked already (by an earlier wrap,
   * or by the caller), for reading its fixed fields; cheaper than wrap on the hot path.
   */
  at(buf: Uint8Array, offset: number): this {
    this.buf = buf;
    this.start = offset;
    return this;
  }

  /** Whether the wrapped bytes hold the whole header. */
  protected abstract checkLength(): boolean;

  protected u8(at: number): number {
    return this.buf[this.start + at]!;
  }

  protected setU8(at: number, value: number): void {
    this.buf[this.start + at] = value;
  }

  protected u16(at: number): number {
    const i = this.start + at;
    return (this.buf[i]! << 8) | this.buf[i + 1]!;
  }

  protected setU16(at: number, value: number): void {
    const i = this.start + at;
    this.buf[i] = (value >>> 8) & 0xff;
    this.buf[i + 1] = value & 0xff;
  }

  /** Copies `bytes` (whole) into the header at field offset `at`. */
  protected put(at: number, bytes: Uint8Array): void {
    this.buf.set(bytes, this.start + at);
  }

  /** Whether `len` bytes at field offset `at` are all zero. */
  protected zero(at: number, len: number): boolean {
    for (let i = this.start + at, end = i + len; i < end; i++) if (this.buf[i] !== 0) return false;
    return true;
  }
}

/**
 * The Internet checksum (RFC 1071) of buf[from, to), added to `sum` and not yet folded or
 * complemented, so that pseudo-headers and messages can be summed in parts.
 */
export function onesSum(buf: Uint8Array, from: number, to: number, sum = 0): number {
  let i = from;
  for (; i + 1 < to; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < to) sum += buf[i]! << 8;
  return sum;
}

/** Folds a sum from onesSum to 16 bits and complements it: the value a checksum field holds. */
export function finishChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
