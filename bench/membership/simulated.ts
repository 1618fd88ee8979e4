// Simulated members for the membership benchmark: member i has underlay address
// 2001:db8:ffff::<i+1>, MAC 02:bb:00:<i as 3 bytes> and overlay address 2001:db8:1::<i+1>
// (test addresses only; they exist inside the benchmark's namespaces alone).
import { memberKey, type MemberRecord } from '../../src/membership/record.js';

const hex = (n: number): string => (n + 1).toString(16);

export function simulatedMac(index: number): string {
  return ['02', 'bb', '00', (index >> 16) & 255, (index >> 8) & 255, index & 255].map((b) => (typeof b === 'string' ? b : b.toString(16).padStart(2, '0'))).join(':');
}

export function simulatedRecord(index: number): MemberRecord {
  return { address: `2001:db8:ffff::${hex(index)}`, port: 4789, kind: 'vxlan-tap', vnis: [{ vni: 42, mac: simulatedMac(index), addresses: [`2001:db8:1::${hex(index)}`] }] };
}

export function simulatedKey(prefix: string, network: string, index: number): string {
  return memberKey(prefix, network, simulatedRecord(index).address);
}
