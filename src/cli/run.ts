// `vxlan-tap [run]`: start one VTEP and keep it up until SIGINT or SIGTERM.
import type { Command } from 'commander';
import { buildVtepConfig, DEFAULT_AGEING_SECONDS, DEFAULT_PORT, type RawRunOptions } from '../config/vtep-config.js';
import { createLogger } from '../log.js';
import { DgramTransport } from '../io/dgram-transport.js';
import { NativeTransport } from '../io/native-transport.js';
import type { UnderlayTransport } from '../io/transport.js';
import { readSystemDefaults } from '../config/system.js';
import type { VtepConfig } from '../config/vtep-config.js';
import { BATCH, datagramCapacity, Vtep } from '../vtep.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function createTransport(config: VtepConfig): UnderlayTransport {
  const options = {
    family: config.family,
    port: config.port,
    local: config.local,
    device: config.device,
    group: config.group,
    datagramCapacity: datagramCapacity(config.mtu),
  };
  return config.io === 'native' ? new NativeTransport(options, BATCH) : new DgramTransport(options);
}

export function addRunCommand(program: Command): void {
  program
    .command('run', { isDefault: true })
    .description('run a VTEP: a TAP device whose frames travel over VXLAN to the peers')
    .requiredOption('--vni <vni>', 'VXLAN network identifier, 0..16777215')
    .option('--peer <ip>', 'remote VTEP that gets broadcast/unknown/multicast frames (repeatable)', collect)
    .option('--group <ip>', 'multicast group for broadcast/unknown/multicast frames (instead of --peer; needs --io native)')
    .option('--dev <ifname>', 'underlay device: bind to it, join the group on it, MTU = its MTU - 50 (IPv6: - 70)')
    .option('--bridge <name>', 'attach the TAP to this existing Linux bridge')
    .option('--port <port>', 'UDP port of VXLAN, ours and the peers\'', String(DEFAULT_PORT))
    .option('--local <ip>', 'local underlay address to bind and send from')
    .option('--tap <name>', 'TAP device name (default: the kernel picks tapN)')
    .option('--mtu <bytes>', 'TAP MTU (default: 1450 over IPv4, 1430 over IPv6)')
    .option('--mac <mac>', 'TAP MAC address (default: random)')
    .option('--address <cidr>', 'address for the TAP, like 192.0.2.1/24 (repeatable)', collect)
    .option('--no-learning', 'do not learn MAC addresses from received frames')
    .option('--ageing <seconds>', 'idle time before a learned entry is removed (0: never)', String(DEFAULT_AGEING_SECONDS))
    .option('--io <transport>', 'underlay I/O: native (batched, per-datagram outer fields; default) or dgram (node:dgram)')
    .option('--ttl <n|auto|inherit>', 'outer TTL: a number, auto (default: 64, or 1 to multicast) or inherit (the inner TTL)')
    .option('--tos <n|inherit>', 'outer TOS: a number (default 0) or inherit (the inner DS field); ECN always follows the inner packet')
    .option('--df <unset|set|inherit>', 'outer DF bit: unset (default), set, or inherit (an inner IPv4 DF; always for inner IPv6)')
    .option('--srcport <min-max>', 'UDP source port range, chosen per inner flow (default: ip_local_port_range)')
    .option('--stats-interval <seconds>', 'log counters, heap size and GC count this often (0: never)', '0')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'info')
    .option('--log-format <format>', 'json (pino lines) or pretty', 'json')
    .action(async (raw: RawRunOptions & { logFormat: string }) => {
      const config = buildVtepConfig(raw, readSystemDefaults());
      const log = createLogger(config.logLevel, raw.logFormat === 'pretty' ? 'pretty' : 'json');
      const vtep = await Vtep.start(config, createTransport(config), log);
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          log.info({ signal }, 'stopping');
          vtep.stop();
          resolve();
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}
