// Loads the lab's own N-API addon (native/lab, built with the VTEP's by `npm install`):
// what only the namespace lab needs, kept out of the addon a running VTEP loads.
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from '../src/io/package-root.js';

export type OffloadFeature = 'tx' | 'tso' | 'gro';

export interface LabAddon {
  /**
   * A device's transmit checksum ('tx'), TCP segmentation ('tso') or receive coalescing ('gro') offload, as `ethtool -k`
   * shows it, set first when `on` is given (`ethtool -K`). `netnsPath` is the namespace's
   * file (/run/netns/NAME), or '' for this process's own.
   */
  offloadFeature(netnsPath: string, ifname: string, feature: OffloadFeature, on?: boolean): boolean;
}

let addon: LabAddon | undefined;

export function loadLabNative(): LabAddon {
  // node-gyp's output in the package root, beside the VTEP's addon.
  addon ??= createRequire(import.meta.url)(path.join(packageRoot(), 'build/Release/vxlan_lab.node')) as LabAddon;
  return addon;
}
