// What the kernel counts for this network namespace that explains datagrams that never
// reached the VXLAN socket: UDP checksum errors (/proc/net/snmp and /proc/net/snmp6, which
// show the namespace of the process that opens them). Read when asked (stats, metrics), never per packet.
import { readFileSync } from 'node:fs';

/** UDP datagrams this namespace dropped for a bad checksum, by family; undefined where /proc cannot tell. */
export interface UdpChecksumErrors {
  udp: number;
  udp6: number;
}

/** The value of `field` in /proc/net/snmp's `Udp:` table (a header line, then a values line). */
function snmpField(text: string, table: string, field: string): number | undefined {
  const [names, values] = text
    .split('\n')
    .filter((line) => line.startsWith(`${table}:`))
    .map((line) => line.trim().split(/\s+/));
  const at = names?.indexOf(field) ?? -1;
  return at < 0 || values === undefined ? undefined : Number(values[at]);
}

/** The value of `name` in /proc/net/snmp6 (one "Name value" pair a line). */
function snmp6Field(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}\t`));
  return line === undefined ? undefined : Number(line.trim().split(/\s+/)[1]);
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** UdpInCsumErrors and Udp6InCsumErrors of this namespace; undefined where /proc has neither. */
export function udpChecksumErrors(): UdpChecksumErrors | undefined {
  const udp = snmpField(read('/proc/net/snmp'), 'Udp', 'InCsumErrors');
  const udp6 = snmp6Field(read('/proc/net/snmp6'), 'Udp6InCsumErrors');
  if (udp === undefined && udp6 === undefined) return undefined;
  return { udp: udp ?? 0, udp6: udp6 ?? 0 };
}
