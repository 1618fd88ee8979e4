// `vxlan-tap demo`: the newcomer's first run. Two hosts in network namespaces on this
// machine, a kernel vxlan VTEP on one and vxlan-tap on the other; ping across, show what
// crossed, remove everything. A failure is reported with its step and what to do about
// it, before the cleanup.
import type { Command } from 'commander';
import { RuntimeError } from '../config/errors.js';
import { Lab } from '../../lab/lab.js';
import { DEMO_TOOLS, missingToolsLine } from '../../lab/system-tools.js';
import { examples } from './help-text.js';

const UNDERLAY = { kernel: '198.51.100.1', tap: '198.51.100.2' };
const OVERLAY = { kernel: '192.0.2.1', tap: '192.0.2.2' };
const VNI = 42;

const say = (line: string): void => void process.stdout.write(`${line}\n`);

function pingSummary(output: string): string {
  return output.split('\n').filter((line) => /packets transmitted|rtt/.test(line)).join('\n    ');
}

/** The first line that explains a failed step: a command's stderr, vxlan-tap's error, or the message. */
function reasonOf(err: unknown): string {
  const e = err as { stderr?: unknown; stdout?: unknown; message?: unknown };
  const stderr = typeof e.stderr === 'string' ? e.stderr.trim() : '';
  const vtepError = /vxlan-tap: error: (.*)/.exec(String(e.message))?.[1];
  const noReplies = typeof e.stdout === 'string' ? /\d+ packets transmitted.*/.exec(e.stdout)?.[0] : undefined;
  return vtepError ?? noReplies ?? (stderr.split('\n')[0] || String(e.message ?? err).split('\n')[0]!);
}

/** What to install or change when a step fails for a reason the demo knows. */
function advice(reason: string): string {
  if (/Unknown device type|vxlan.*not supported/i.test(reason)) return 'this kernel has no vxlan driver: modprobe vxlan (vxlan-tap check tells more)';
  if (/packets transmitted/.test(reason)) return 'no replies: a firewall on this machine may drop VXLAN or ICMP in namespaces';
  if (/\/dev\/net\/tun/.test(reason)) return 'vxlan-tap needs /dev/net/tun: modprobe tun';
  return 'vxlan-tap check shows what this machine can run';
}

async function runDemo(): Promise<void> {
  if (process.getuid?.() !== 0) throw new RuntimeError('demo needs root: it creates network namespaces');
  const missing = missingToolsLine('demo needs', DEMO_TOOLS);
  if (missing !== undefined) throw new RuntimeError(missing);
  const lab = new Lab('demo');
  let step = 'create two network namespaces';
  // Ctrl-C or SIGTERM: say where it stopped, remove what was made, exit 130.
  let interrupted = false;
  const interrupt = (signal: NodeJS.Signals): void => {
    interrupted = true;
    process.stderr.write(`vxlan-tap: error: demo: ${signal} during "${step}"\n`);
    void lab.cleanup().finally(() => {
      say('namespaces removed');
      process.exit(130);
    });
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const kernelHost = lab.namespace('kernel');
    const tapHost = lab.namespace('tap');
    step = 'link them with a veth pair';
    lab.link(kernelHost, `${UNDERLAY.kernel}/24`, tapHost, `${UNDERLAY.tap}/24`);
    say(`underlay: ${kernelHost} ${UNDERLAY.kernel} <-veth-> ${tapHost} ${UNDERLAY.tap}`);

    step = 'create the kernel vxlan device';
    lab.kernelVxlan(kernelHost, { vni: VNI, remote: UNDERLAY.tap, local: UNDERLAY.kernel, dev: 'ul0', address: `${OVERLAY.kernel}/24` });
    say(`${kernelHost}: ip link add vx0 type vxlan id ${VNI} dstport 4789 remote ${UNDERLAY.tap} local ${UNDERLAY.kernel} dev ul0`);
    say(`${kernelHost}: vx0 has ${OVERLAY.kernel}/24`);

    step = 'start vxlan-tap';
    const vtep = await lab.vtep(tapHost, '--vni', String(VNI), '--peer', UNDERLAY.kernel, '--tap', 'vxtap0', '--address', `${OVERLAY.tap}/24`);
    say(`${tapHost}: vxlan-tap --vni ${VNI} --peer ${UNDERLAY.kernel} --tap vxtap0 --address ${OVERLAY.tap}/24`);

    step = `ping ${OVERLAY.tap} from the kernel VTEP's host`;
    say(`\n${step}:`);
    say(`    ${pingSummary(lab.exec(kernelHost, 'ping', '-c', '3', '-i', '0.2', '-W', '2', OVERLAY.tap))}`);
    step = `ping ${OVERLAY.kernel} from the vxlan-tap host`;
    say(`${step}:`);
    say(`    ${pingSummary(lab.exec(tapHost, 'ping', '-c', '3', '-i', '0.2', '-W', '2', OVERLAY.kernel))}`);

    step = 'read the kernel vxlan counters';
    const stats = JSON.parse(lab.ip(kernelHost, '-j', '-s', 'link', 'show', 'vx0'))[0].stats64;
    say(`\nkernel vx0 counters: rx ${stats.rx.packets} packets, tx ${stats.tx.packets} packets`);
    step = 'stop vxlan-tap';
    const code = await vtep.stop();
    if (code !== 0) throw new Error(`vxlan-tap exited with ${code}`);
    say('vxlan-tap stopped cleanly');
  } catch (err) {
    if (interrupted) return; // a step cut short by the cleanup: the signal was reported
    const reason = reasonOf(err);
    // The one error line comes first, then the cleanup: the failure is what the user reads.
    process.stderr.write(`vxlan-tap: error: demo: ${step} failed: ${reason}; ${advice(reason)}\n`);
    process.exitCode = 1;
  } finally {
    await lab.cleanup();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    say('namespaces removed');
  }
}

export function addDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('build a kernel-vxlan <-> vxlan-tap topology in namespaces, ping across, clean up (root)')
    .addHelpText('after', examples('vxlan-tap demo'))
    .action(runDemo);
}
