// What `agent --kernel <dev>` registers for a kernel vxlan device, read with iproute2:
// its VNI, destination port, local address, MAC and overlay addresses.
import { RuntimeError } from '../config/errors.js';
import { runJson } from '../ops/run-command.js';

export interface KernelDevice {
  name: string;
  vni: number;
  port: number;
  /** The device's `local`, if it has one. */
  local?: string;
  mac: string;
  /** Global-scope overlay addresses, without prefix length. */
  addresses: string[];
}

interface LinkJson {
  address?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; port?: number; local?: string; local6?: string } };
}

interface AddrJson {
  addr_info?: { local?: string; scope?: string }[];
}

export async function readKernelDevice(name: string): Promise<KernelDevice> {
  let links: LinkJson[];
  try {
    links = await runJson<LinkJson[]>('ip', ['-d', 'link', 'show', 'dev', name]);
  } catch {
    throw new RuntimeError(`--kernel ${name}: no such device`);
  }
  const link = links[0];
  const data = link?.linkinfo?.info_data;
  if (link?.linkinfo?.info_kind !== 'vxlan' || data?.id === undefined || link.address === undefined) {
    throw new RuntimeError(`--kernel ${name} is not a vxlan device (ip link add ${name} type vxlan id <vni> ...)`);
  }
  const addrs = await runJson<AddrJson[]>('ip', ['addr', 'show', 'dev', name]);
  const addresses = (addrs[0]?.addr_info ?? []).filter((a) => a.scope === 'global' && a.local !== undefined).map((a) => a.local!);
  return { name, vni: data.id, port: data.port ?? 8472, local: data.local ?? data.local6, mac: link.address, addresses };
}
