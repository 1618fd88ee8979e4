// A running VTEP as a member of the store: its record (underlay address, port, and per
// VNI the TAP's MAC and addresses), and every segment programmed from the others'.
import type { Logger } from '../ops/log.js';
import type { UnderlayConfig } from '../config/vtep-config.js';
import type { MembershipConfig } from '../config/membership.js';
import type { SegmentState } from '../segment-state.js';
import { formatMac } from '../wire/mac.js';
import { Membership } from './membership.js';
import type { MemberRecord } from './record.js';
import { SegmentSink } from './segment-sink.js';
import { underlayAddress } from './underlay-address.js';

/** Registers in etcd and starts programming every segment from the other members. */
export async function joinAsMember(membership: MembershipConfig, underlay: UnderlayConfig, segments: readonly SegmentState[], log: Logger): Promise<Membership> {
  const { local, family, port } = underlay;
  const address = await underlayAddress(local, membership.endpoints[0]!, family);
  log.info({ address: address.address, from: address.from }, 'membership underlay address');
  const self: MemberRecord = {
    address: address.address,
    port,
    kind: 'vxlan-tap',
    vnis: segments.map((s) => ({ vni: s.vni, mac: formatMac(s.tap.mac), addresses: s.config.addresses.map((a) => a.address) })),
  };
  const targets = segments.map((segment) => ({ vni: segment.vni, sink: new SegmentSink(segment) }));
  return Membership.start(membership, self, targets, log);
}
