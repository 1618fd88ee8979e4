// `vxlan-tap [run]`: start a VTEP (one VNI from options, or several from --config) and
// keep it up until SIGINT or SIGTERM; SIGHUP re-reads --config.
import { Help, type Command } from 'commander';
import { ConfigError } from '../config/errors.js';
import { MEMBERSHIP_SETTINGS } from '../config/membership.js';
import { addMembershipOptions } from './membership-options.js';
import { loadConfigFile } from '../config/config-file.js';
import { readSystemDefaults } from '../config/system.js';
import { buildVtepConfig, DEFAULT_AGEING_SECONDS, DEFAULT_PORT, optionNamer, type RawRunOptions, type VtepConfig } from '../config/vtep-config.js';
import { parseLogLevel } from '../config/parse.js';
import { createLogger, type Logger } from '../ops/log.js';
import { threadForwarders } from '../io/forwarder-threads.js';
import { returnToNice } from '../io/priority.js';
import { nativeTaps } from '../io/tap.js';
import { PACKET_LAYOUT } from '../io/batch-layout.js';
import { Vtep } from '../vtep.js';
import { takeInheritance } from '../lifecycle/handover.js';
import { tierUpEarly } from '../lifecycle/tier-up.js';

interface RunOptions extends RawRunOptions {
  config?: string;
  logFormat: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

// Options that describe the VTEP itself: with --config they belong in the file.
const FILE_SETTINGS = [
  ...['vni', 'peer', 'group', 'dev', 'bridge', 'port', 'local', 'tap', 'mtu', 'mac', 'address', 'learning', 'ageing', 'maxAddress'] as const,
  ...['proxy', 'l2miss', 'l3miss', 'control', 'io', 'ttl', 'tos', 'df', 'srcport', 'offload', 'busyPoll', 'threads', 'acceptFrom', 'persist', 'flowlabel', 'outerIds', 'statsInterval', 'metrics'] as const,
  ...['udpcsum', 'udp6zerocsumtx', 'udp6zerocsumrx'] as const,
  ...MEMBERSHIP_SETTINGS,
];

function readConfig(raw: RunOptions): VtepConfig {
  if (raw.config === undefined) return buildVtepConfig(raw, readSystemDefaults());
  for (const setting of FILE_SETTINGS) {
    if (raw[setting] === undefined) continue;
    const option = setting === 'learning' ? '--no-learning' : optionNamer(setting);
    throw new ConfigError(`${option} cannot be combined with --config: set it in the file`);
  }
  const config = loadConfigFile(raw.config, readSystemDefaults());
  if (raw.logLevel !== undefined) config.logLevel = parseLogLevel(raw.logLevel);
  return config;
}

/**
 * SIGHUP: re-read the file and apply what can change live; a bad file changes nothing.
 * Without a file there is nothing to re-read, and the signal must not end the process.
 */
function reloadOnHangup(vtep: Vtep, path: string | undefined, log: Logger): () => void {
  const onHangup = (): void => {
    if (path === undefined) return void log.warn('SIGHUP: no --config to re-read');
    try {
      const started = performance.now();
      const { needRestart, problems } = vtep.reload(loadConfigFile(path, readSystemDefaults()));
      const ms = Math.round(performance.now() - started);
      for (const problem of problems) log.warn(problem);
      if (needRestart.length > 0) log.warn({ ignored: needRestart, ms }, 'reloaded; these changes need a restart');
      else log.info({ ms }, 'reloaded');
    } catch (err) {
      log.error({ reason: (err as Error).message }, 'reload rejected; running configuration kept');
    }
  };
  process.on('SIGHUP', onHangup);
  return () => process.off('SIGHUP', onHangup);
}

const EXAMPLE = `
Examples (a kernel VTEP at 198.51.100.1; several VNIs from a file):
  vxlan-tap --vni 42 --peer 198.51.100.1 --tap vxlan0 --address 192.0.2.2/24
  vxlan-tap --config /etc/vxlan-tap/overlay.json`;

/**
 * `vxlan-tap --help`: run is the default command, so the main help lists its options and
 * the example, with the other commands below them. Commands added later inherit this help
 * configuration: each of them keeps its own options.
 */
function showRunInMainHelp(program: Command, run: Command): void {
  const own = new Help();
  program
    .usage('[run] --vni <n> [options]\n       vxlan-tap <command> [options]')
    .configureHelp({ visibleOptions: (command) => (command === program ? [...own.visibleOptions(run), ...program.options] : own.visibleOptions(command)) })
    .addHelpText('after', EXAMPLE);
}

/** Adds `run`, the default command, and shows its options in the main help. */
export function addRunCommand(program: Command): void {
  const run = program
    .command('run', { isDefault: true })
    .description('run a VTEP: a TAP device whose frames travel over VXLAN to the peers')
    .option('--vni <vni>', 'VXLAN network identifier, 0..16777215 (required without --config)')
    .option('--peer <ip>', 'remote VTEP that gets broadcast/unknown/multicast frames (repeatable)', collect)
    .option('--group <ip>', 'multicast group for broadcast/unknown/multicast frames (instead of --peer; needs --io native)')
    .option('--dev <ifname>', 'underlay device: bind to it, join the group on it, MTU = its MTU - 50 (IPv6: - 70)')
    .option('--bridge <name>', 'attach the TAP to this existing Linux bridge')
    .option('--port <port>', `UDP port of VXLAN, ours and the peers' (default ${DEFAULT_PORT})`)
    .option('--local <ip>', 'local underlay address to bind and send from')
    .option('--tap <name>', 'TAP device name (default: the kernel picks tapN); names the control socket /run/vxlan-tap/<name>.sock, in a named namespace /run/vxlan-tap/netns-NAME/<name>.sock')
    .option('--mtu <bytes>', 'TAP MTU (default: 1450 over IPv4, 1430 over IPv6, or the --dev MTU less 50/70)')
    .option('--mac <persistent|random|mac>', 'TAP MAC: persistent (default: derived from /etc/machine-id and the TAP name, the same at every start), random, or this unicast MAC')
    .option('--address <cidr>', 'address for the TAP, like 192.0.2.1/24 (repeatable)', collect)
    .option('--no-learning', 'do not learn MAC addresses from received frames')
    .option('--ageing <seconds>', `idle time before a learned entry is removed (0: never; default ${DEFAULT_AGEING_SECONDS})`)
    .option('--io <native|dgram>', 'underlay I/O: native (batched, per-datagram outer fields; default) or dgram (node:dgram: every datagram from the one bound port, DF set over IPv4, fixed TTL/TOS: not the kernel\'s wire)')
    .option('--ttl <n|auto|inherit>', 'outer TTL: a number, auto (default: 64, or 1 to multicast) or inherit (the inner TTL)')
    .option('--tos <n|inherit>', 'outer TOS: a number (default 0) or inherit (the inner DS field); ECN always follows the inner packet')
    .option('--df <unset|set|inherit>', 'outer DF bit: unset (default), set, or inherit (an inner IPv4 DF; always for inner IPv6)')
    .option('--flowlabel <n|inherit>', 'outer IPv6 flow label: a number (default 0, as the kernel) or inherit (the inner IPv6 packet\'s)')
    .option('--srcport <min-max>', 'UDP source port range, chosen per inner flow; the max is exclusive, as the kernel\'s (default: ip_local_port_range)')
    .option('--udpcsum', 'IPv4: send outer UDP checksums (the default, as the kernel)')
    .option('--no-udpcsum', 'IPv4: send no outer UDP checksum (0); trains then leave without UDP GSO')
    .option('--udp6zerocsumtx', 'IPv6: send no outer UDP checksum (0); trains then leave without UDP GSO')
    .option('--udp6zerocsumrx', 'IPv6: accept datagrams without UDP checksum (else the kernel drops them as checksum errors)')
    .option('--outer-ids <unique|overlap>', 'outer IPv4 IDs with DF clear: overlap (default: one UDP GSO send per train; IDs of consecutive trains overlap) or unique (as the kernel: such TCP trains leave datagram by datagram, about a fifth of the speed)')
    .option('--proxy', 'answer ARP and IPv6 neighbour solicitations from the neighbour table (vxlan-tap neigh)')
    .option('--l2miss', 'report unicast destinations with no FDB entry and no default entry (vxlan-tap monitor)')
    .option('--l3miss', 'report proxied addresses with no neighbour entry (vxlan-tap monitor)')
    .option('--max-address <n>', 'most FDB entries, every kind counted (0: no limit)')
    .option('--persist', 'keep the TAP across a stop and start, with the learned FDB and neighbour entries (saved at stop, restored at start)')
    .option('--accept-from <any|peers>', 'decapsulate datagrams from anyone (any, default, as the kernel) or only from peers and FDB destinations (peers)')
    .option('--control <path>', 'control socket (default /run/vxlan-tap/<tap>.sock, or /run/vxlan-tap/netns-NAME/<tap>.sock in a named namespace)')
    .option('--metrics <host:port>', 'serve Prometheus metrics at http://host:port/metrics')
    .option('--offload <on|off|no-coalesce>', 'TAP offloads: 64 KB TCP super-frames segmented here, received segments merged (no-coalesce: not merged); default on')
    .option('--busy-poll <us>', 'after a batch, keep polling the TAP and the socket this many microseconds before sleeping: lower latency for a core (0: off, the default; needs --io native)')
    .option('--threads <n|auto>', 'data-path worker threads, each with its own TAP queue and socket (auto: one per core; default 1; above 1 needs --io native)')
    .option('--config <file>', 'JSON file with the underlay settings and one entry per VNI (docs/topologies.md; one per topology in examples/); SIGHUP re-reads it')
    .option('--stats-interval <seconds>', 'log counters, heap size and GC count this often (0: never)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)')
    .option('--log-format <json|pretty>', 'json (pino lines) or pretty', 'json');
  addMembershipOptions(run)
    .action(async (raw: RunOptions) => {
      // commander sets learning: true for --no-learning's default; only an explicit flag counts.
      if (raw.learning === true) delete raw.learning;
      const config = readConfig(raw);
      if (raw.logFormat !== 'json' && raw.logFormat !== 'pretty') throw new ConfigError(`--log-format must be json or pretty, not "${raw.logFormat}"`);
      const log = createLogger(config.logLevel, raw.logFormat);
      const inheritance = takeInheritance();
      // Started from the predecessor's main thread: at its lowered priority.
      if (inheritance !== undefined) returnToNice(inheritance.nice);
      tierUpEarly();
      const vtep = await Vtep.start(config, { taps: nativeTaps, forwarders: threadForwarders(raw.logFormat), layout: PACKET_LAYOUT }, log, inheritance);
      const stopReloads = reloadOnHangup(vtep, raw.config, log);
      // SIGUSR2, as nginx: start the successor (the installed version) and hand over to it.
      const onUsr2 = (): void => void vtep.handover().catch(() => {});
      process.on('SIGUSR2', onUsr2);
      await new Promise<void>((resolve) => {
        let stopped = false;
        const stop = (): void => {
          if (stopped) return;
          stopped = true;
          process.off('SIGUSR2', onUsr2);
          stopReloads();
          void vtep.leave().finally(() => vtep.stop().then(resolve));
        };
        for (const signal of ['SIGINT', 'SIGTERM'] as const) {
          process.once(signal, () => {
            log.info({ signal }, 'stopping');
            stop();
          });
        }
        // A failed TAP ends the process: said once, the port and control sockets released
        // (a restart can bind them), exit 1 for the supervisor to see.
        void vtep.failed.then((reason) => {
          log.error({ reason }, 'stopping: the VTEP cannot go on');
          process.exitCode = 1;
          stop();
        });
        void vtep.handedOver.then((successor) => {
          log.info({ successor }, 'handed over; stopping');
          stop();
        });
        vtep.reportReady();
      });
    });
  run.addHelpText('after', EXAMPLE);
  showRunInMainHelp(program, run);
}
