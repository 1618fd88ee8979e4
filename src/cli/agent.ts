// `vxlan-tap agent --kernel <dev> --etcd <urls>`: the same membership for a host that has
// the kernel's vxlan driver. The kernel forwards; the agent only registers the device and
// programs its FDB and neighbours from the other members (flanneld's part).
import type { Command } from 'commander';
import { ConfigError } from '../config/errors.js';
import { buildMembership, type RawMembership } from '../config/membership.js';
import { parseInterfaceName, parseIp, parseLogLevel, parseSocketPath } from '../config/parse.js';
import { optionNamer } from '../config/vtep-config.js';
import { RequestError } from '../control/commands.js';
import { ControlServer, defaultControlPath } from '../control/server.js';
import { createLogger } from '../ops/log.js';
import { readKernelDevice } from '../membership/kernel-device.js';
import { KernelSink } from '../membership/kernel-sink.js';
import { Membership } from '../membership/membership.js';
import { underlayAddress } from '../membership/underlay-address.js';
import { addMembershipOptions } from './membership-options.js';
import { examples } from './help-text.js';

interface AgentOptions extends RawMembership {
  kernel?: string;
  local?: string;
  control?: string;
  logLevel?: string;
  logFormat: string;
}

export function addAgentCommand(program: Command): void {
  addMembershipOptions(
    program
      .command('agent')
      .description('give a kernel vxlan device the etcd membership: register it, program its FDB and neighbours from the other members')
      .option('--kernel <dev>', 'the kernel vxlan device (required)')
      .option('--local <ip>', "underlay address to register (default: the device's local, else the source of the route to etcd)")
      .option('--control <path>', 'control socket for `vxlan-tap members` (default /run/vxlan-tap/<dev>.sock)')
      .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)')
      .option('--log-format <json|pretty>', 'json (pino lines) or pretty', 'json')
      .addHelpText('after', examples('vxlan-tap agent --kernel vxlan0 --etcd http://192.0.2.10:2379 --network overlay')),
  )
    .action(async (raw: AgentOptions) => {
      if (raw.kernel === undefined) throw new ConfigError('--kernel <vxlan device> is required');
      const name = parseInterfaceName('--kernel', raw.kernel);
      if (raw.etcd === undefined) throw new ConfigError('--etcd is required: the agent programs the device from etcd');
      const membership = buildMembership(raw, optionNamer)!;
      const local = raw.local === undefined ? undefined : parseIp('--local', raw.local).address;
      const socketPath = raw.control === undefined ? undefined : parseSocketPath(raw.control);
      if (raw.logFormat !== 'json' && raw.logFormat !== 'pretty') throw new ConfigError(`--log-format must be json or pretty, not "${raw.logFormat}"`);
      const log = createLogger(raw.logLevel === undefined ? 'info' : parseLogLevel(raw.logLevel), raw.logFormat);

      const device = await readKernelDevice(name);
      const underlay = await underlayAddress(local ?? device.local, membership.endpoints[0]!);
      log.info({ address: underlay.address, from: local === undefined && device.local !== undefined ? 'device local' : underlay.from }, 'membership underlay address');
      const self = { address: underlay.address, port: device.port, kind: 'kernel' as const, vnis: [{ vni: device.vni, mac: device.mac, addresses: device.addresses }] };
      const sink = new KernelSink(name, device.port, log);
      const agent = Membership.start(membership, self, [{ vni: device.vni, sink, held: await sink.adopt() }], log);
      const control = await ControlServer.start(socketPath ?? defaultControlPath(name), {
        run: (request) => {
          if (request.cmd === 'members') return agent.report();
          throw new RequestError(`unknown command "${request.cmd}" (an agent answers members only)`);
        },
      }).catch(async (err: unknown) => {
        await agent.stop();
        throw err;
      });
      log.info({ kernel: name, vni: device.vni, port: device.port, mac: device.mac, addresses: device.addresses, control: control.socketPath }, 'ready');
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          log.info({ signal }, 'stopping');
          void agent.stop().finally(() => {
            control.stop();
            resolve();
          });
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}
