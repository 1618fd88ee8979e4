// An IPv4 header (RFC 791) and its fields.
import { IpHeaderView } from './ip.js';
import { finishChecksum, onesSum } from './view.js';

export const IPV4_MIN_HEADER_LEN = 20;

const VERSION_IHL = 0;
const DS_FIELD = 1;
const TOTAL_LENGTH = 2;
const IDENTIFICATION = 4;
const FLAGS_FRAGMENT = 6;
const TTL = 8;
const PROTOCOL = 9;
const CHECKSUM = 10;
const SOURCE = 12;
const ADDRESS_LEN = 4;

const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
const FRAGMENT_OFFSET = 0x1fff;

export class Ipv4Packet extends IpHeaderView {
  constructor() {
    super(SOURCE, ADDRESS_LEN);
  }

  /** The fixed 20 bytes; the version and options are the reader's to check. */
  protected checkLength(): boolean {
    return this.length >= IPV4_MIN_HEADER_LEN;
  }

  get version(): number {
    return this.u8(VERSION_IHL) >> 4;
  }

  /** Header length in bytes (IHL words), options included. */
  get headerLength(): number {
    return (this.u8(VERSION_IHL) & 0x0f) * 4;
  }

  /** Sets version 4 and the header length in bytes. */
  setVersionAndHeaderLength(bytes: number): void {
    this.setU8(VERSION_IHL, 0x40 | (bytes >> 2));
  }

  /** The DS field: DSCP and ECN. */
  get dsField(): number {
    return this.u8(DS_FIELD);
  }

  set dsField(value: number) {
    this.setU8(DS_FIELD, value);
  }

  get totalLength(): number {
    return this.u16(TOTAL_LENGTH);
  }

  set totalLength(value: number) {
    this.setU16(TOTAL_LENGTH, value);
  }

  get identification(): number {
    return this.u16(IDENTIFICATION);
  }

  set identification(value: number) {
    this.setU16(IDENTIFICATION, value);
  }

  get dontFragment(): boolean {
    return (this.u16(FLAGS_FRAGMENT) & FLAG_DF) !== 0;
  }

  /** Writes the flags and fragment offset of a whole packet: DF as given, no MF, offset 0. */
  setUnfragmented(dontFragment: boolean): void {
    this.setU16(FLAGS_FRAGMENT, dontFragment ? FLAG_DF : 0);
  }

  /** A fragment of a larger packet: more fragments follow, or it is not the first. */
  get isFragment(): boolean {
    return (this.u16(FLAGS_FRAGMENT) & (FLAG_MF | FRAGMENT_OFFSET)) !== 0;
  }

  get ttl(): number {
    return this.u8(TTL);
  }

  set ttl(value: number) {
    this.setU8(TTL, value);
  }

  get protocol(): number {
    return this.u8(PROTOCOL);
  }

  set protocol(value: number) {
    this.setU8(PROTOCOL, value);
  }

  get checksum(): number {
    return this.u16(CHECKSUM);
  }

  set checksum(value: number) {
    this.setU16(CHECKSUM, value);
  }

  get payloadOffset(): number {
    return this.start + this.headerLength;
  }

  /** The header checksum over headerLength bytes, the checksum field counted as zero. */
  computeChecksum(): number {
    const sum = onesSum(this.buf, this.start, this.start + this.headerLength) - this.checksum;
    return finishChecksum(sum);
  }

  fillChecksum(): void {
    this.checksum = this.computeChecksum();
  }

  /** Sets the DS field's ECN bits to CE, updating the checksum incrementally (RFC 1624). */
  markCe(): void {
    const old = this.u16(VERSION_IHL);
    this.dsField = this.dsField | 3;
    // HC' = ~(~HC + ~m + m')
    const sum = (~this.checksum & 0xffff) + (~old & 0xffff) + this.u16(VERSION_IHL);
    this.checksum = finishChecksum(sum);
  }
}
