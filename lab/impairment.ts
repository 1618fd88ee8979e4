// Loss and reordering on an underlay link, for the namespace tests and the soak.
import type { Lab } from './lab.js';

/**
 * Loses and reorders what leaves `dev` in `ns`: a classic BPF classifier (its `ld rand`)
 * sends `lossPercent` of the packets to a class that drops everything, `reorderPercent`
 * to a class limited to 200 Mbit/s whose queue holds them back while the others pass, and
 * the rest straight on. tc netem would do it in one line, but kernels built without
 * sch_netem (as some VM kernels are) have HTB and cls_bpf. Undo with clearImpairment.
 */
export function impairUnderlay(lab: Lab, ns: string, dev: string, lossPercent: number, reorderPercent: number): void {
  const tc = (...args: string[]): string => lab.exec(ns, 'tc', ...args);
  const threshold = (percent: number): number => Math.round(2 ** 32 * (1 - percent / 100));
  tc('qdisc', 'add', 'dev', dev, 'root', 'handle', '1:', 'htb', 'default', '10');
  for (const [id, rate] of [['10', '10gbit'], ['20', '200mbit'], ['30', '10gbit']] as const) {
    tc('class', 'add', 'dev', dev, 'parent', '1:', 'classid', `1:${id}`, 'htb', 'rate', rate, 'quantum', '1514');
  }
  tc('qdisc', 'add', 'dev', dev, 'parent', '1:30', 'handle', '30:', 'pfifo', 'limit', '0');
  // A = random; A >= loss threshold: class 1:30; A >= reorder threshold: 1:20; else 1:10.
  const program = [
    [0x20, 0, 0, 0xfffff038], // ld rand (SKF_AD_OFF + SKF_AD_RANDOM)
    [0x35, 3, 0, threshold(lossPercent)], // jge
    [0x35, 1, 0, threshold(lossPercent + reorderPercent)], // jge
    [0x06, 0, 0, 0x10010], // ret 1:10
    [0x06, 0, 0, 0x10020], // ret 1:20
    [0x06, 0, 0, 0x10030], // ret 1:30
  ];
  const bytecode = `${program.length},${program.map((i) => i.join(' ')).join(',')}`;
  tc('filter', 'add', 'dev', dev, 'parent', '1:', 'protocol', 'all', 'prio', '1', 'bpf', 'bytecode', bytecode);
}

/** Undoes impairUnderlay; returns the packets it dropped. */
export function clearImpairment(lab: Lab, ns: string, dev: string): number {
  const stats = lab.exec(ns, 'tc', '-s', 'class', 'show', 'dev', dev, 'classid', '1:30');
  lab.exec(ns, 'tc', 'qdisc', 'del', 'dev', dev, 'root');
  return Number(/dropped (\d+)/.exec(stats)?.[1] ?? 0);
}
