// `vxlan-tap demo`: the newcomer's first run. Two hosts in network namespaces on this
// machine, a kernel vxlan VTEP on one and vxlan-tap on the other; ping across, show what
// crossed, remove everything.
import type { Command } from 'commander';
import { RuntimeError } from '../config/errors.js';
import { Lab } from '../lab/lab.js';

const UNDERLAY = { kernel: '198.51.100.1', tap: '198.51.100.2' };
const OVERLAY = { kernel: '192.0.2.1', tap: '192.0.2.2' };
const VNI = 42;

function pingSummary(output: string): string {
  return output.split('\n').filter((line) => /packets transmitted|rtt/.test(line)).join('\n    ');
}

async function runDemo(): Promise<void> {
  if (process.getuid?.() !== 0) throw new RuntimeError('demo needs root: it creates network namespaces');
  const lab = new Lab('demo');
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  try {
    const kernelHost = lab.namespace('kernel');
    const tapHost = lab.namespace('tap');
    lab.link(kernelHost, `${UNDERLAY.kernel}/24`, tapHost, `${UNDERLAY.tap}/24`);
    say(`underlay: ${kernelHost} ${UNDERLAY.kernel} <-veth-> ${tapHost} ${UNDERLAY.tap}`);

    lab.kernelVxlan(kernelHost, { vni: VNI, remote: UNDERLAY.tap, local: UNDERLAY.kernel, dev: 'ul0', address: `${OVERLAY.kernel}/24` });
    say(`${kernelHost}: ip link add vx0 type vxlan id ${VNI} dstport 4789 remote ${UNDERLAY.tap} local ${UNDERLAY.kernel} dev ul0`);
    say(`${kernelHost}: vx0 has ${OVERLAY.kernel}/24`);

    const vtep = await lab.vtep(tapHost, '--vni', String(VNI), '--peer', UNDERLAY.kernel, '--tap', 'vxtap0', '--address', `${OVERLAY.tap}/24`);
    say(`${tapHost}: vxlan-tap --vni ${VNI} --peer ${UNDERLAY.kernel} --tap vxtap0 --address ${OVERLAY.tap}/24`);

    say(`\nping ${OVERLAY.tap} from the kernel VTEP's host:`);
    say(`    ${pingSummary(lab.exec(kernelHost, 'ping', '-c', '3', '-i', '0.2', '-W', '2', OVERLAY.tap))}`);
    say(`ping ${OVERLAY.kernel} from the vxlan-tap host:`);
    say(`    ${pingSummary(lab.exec(tapHost, 'ping', '-c', '3', '-i', '0.2', '-W', '2', OVERLAY.kernel))}`);

    const stats = JSON.parse(lab.ip(kernelHost, '-j', '-s', 'link', 'show', 'vx0'))[0].stats64;
    say(`\nkernel vx0 counters: rx ${stats.rx.packets} packets, tx ${stats.tx.packets} packets`);
    await vtep.stop();
    say('vxlan-tap stopped cleanly');
  } finally {
    await lab.cleanup();
    say('namespaces removed');
  }
}

export function addDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('build a kernel-vxlan <-> vxlan-tap topology in namespaces, ping across, clean up (root)')
    .action(runDemo);
}
