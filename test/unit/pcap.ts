// A minimal classic-pcap reader (not pcapng) and an Ethernet/IPv4/UDP walker, enough to
// pull the VXLAN payloads out of the reference captures.

const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const MAGIC_NANOSECONDS = 0xa1b23c4d;
const GLOBAL_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;
export const LINKTYPE_ETHERNET = 1;

export interface PcapRecord {
  seconds: number;
  fraction: number;
  originalLength: number;
  data: Uint8Array;
}

export interface Pcap {
  littleEndian: boolean;
  versionMajor: number;
  versionMinor: number;
  snapLength: number;
  linkType: number;
  records: PcapRecord[];
}

export function readPcap(bytes: Uint8Array): Pcap {
  if (bytes.length < GLOBAL_HEADER_LEN) throw new Error('pcap: shorter than the global header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isMagic = (m: number): boolean => m === MAGIC_MICROSECONDS || m === MAGIC_NANOSECONDS;
  let littleEndian: boolean;
  if (isMagic(view.getUint32(0, true))) littleEndian = true;
  else if (isMagic(view.getUint32(0, false))) littleEndian = false;
  else throw new Error(`pcap: bad magic 0x${view.getUint32(0, false).toString(16)}`);

  const records: PcapRecord[] = [];
  let at = GLOBAL_HEADER_LEN;
  while (at < bytes.length) {
    if (at + RECORD_HEADER_LEN > bytes.length) throw new Error(`pcap: record header cut short at ${at}`);
    const includedLength = view.getUint32(at + 8, littleEndian);
    const start = at + RECORD_HEADER_LEN;
    if (start + includedLength > bytes.length) throw new Error(`pcap: record data cut short at ${at}`);
    records.push({
      seconds: view.getUint32(at, littleEndian),
      fraction: view.getUint32(at + 4, littleEndian),
      originalLength: view.getUint32(at + 12, littleEndian),
      data: bytes.subarray(start, start + includedLength),
    });
    at = start + includedLength;
  }
  return {
    littleEndian,
    versionMajor: view.getUint16(4, littleEndian),
    versionMinor: view.getUint16(6, littleEndian),
    snapLength: view.getUint32(16, littleEndian),
    linkType: view.getUint32(20, littleEndian),
    records,
  };
}

export function u16(buf: Uint8Array, offset: number): number {
  return (buf[offset]! << 8) | buf[offset + 1]!;
}

export function ipv4At(buf: Uint8Array, offset: number): string {
  return Array.from(buf.subarray(offset, offset + 4)).join('.');
}

export interface UdpInIpv4 {
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  /** Offset and length of the UDP payload inside the frame. */
  payloadOffset: number;
  payloadLength: number;
}

/** Walks Ethernet (14) / IPv4 (IHL * 4) / UDP (8) and returns where the UDP payload is. */
export function udpInIpv4(frame: Uint8Array): UdpInIpv4 {
  if (u16(frame, 12) !== 0x0800) throw new Error(`not IPv4: ethertype 0x${u16(frame, 12).toString(16)}`);
  const ip = 14;
  if (frame[ip]! >> 4 !== 4) throw new Error('IP version is not 4');
  const ihl = (frame[ip]! & 0x0f) * 4;
  if (frame[ip + 9] !== 17) throw new Error(`IP protocol ${frame[ip + 9]} is not UDP`);
  const ipEnd = ip + u16(frame, ip + 2);
  const udp = ip + ihl;
  const udpLength = u16(frame, udp + 4);
  if (ipEnd > frame.length || udp + udpLength > ipEnd) throw new Error('UDP datagram cut short');
  return {
    srcIp: ipv4At(frame, ip + 12),
    dstIp: ipv4At(frame, ip + 16),
    srcPort: u16(frame, udp),
    dstPort: u16(frame, udp + 2),
    payloadOffset: udp + 8,
    payloadLength: udpLength - 8,
  };
}
