// Loads the N-API addon built by `npm install` and gives its exports types.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FdReader {
  start(): void;
  stop(): void;
}

export interface NativeAddon {
  openTap(name: string): { fd: number; name: string };
  setMtu(name: string, mtu: number): void;
  setMac(name: string, mac: Buffer): void;
  getMac(name: string): Buffer;
  setUp(name: string, up: boolean): void;
  addAddress(name: string, address: string, prefixLength: number): void;
  addToBridge(bridge: string, name: string): void;
  closeFd(fd: number): void;
  writeFrames(fd: number, bytes: Uint8Array, offsets: Int32Array, lengths: Int32Array, count: number): number;
  FdReader: new (
    fd: number,
    region: ArrayBuffer,
    offsets: Int32Array,
    lengths: Int32Array,
    capacity: number,
    onBatch: (count: number) => void,
  ) => FdReader;
  UdpReceiver: new (
    options: UnderlayOptions,
    region: ArrayBuffer,
    offsets: Int32Array,
    lengths: Int32Array,
    sources: Uint8Array,
    tos: Uint8Array,
    capacity: number,
    onBatch: (count: number) => void,
  ) => UdpReceiver;
  UdpSender: new (options: UnderlayOptions) => UdpSender;
}

/** Underlay settings shared by the UDP receiver and sender; '' means none. */
export interface UnderlayOptions {
  family: 4 | 6;
  local: string;
  port: number;
  device: string;
  groups: string[];
}

export interface UdpReceiver {
  start(): void;
  close(): void;
}

export interface UdpSender {
  send(
    bytes: Uint8Array,
    offsets: Int32Array,
    lengths: Int32Array,
    dsts: Uint8Array,
    ports: Int32Array,
    vnis: Int32Array,
    outer: Int32Array,
    count: number,
  ): number;
  close(): void;
}

/** A system call failure from the addon: `code` is the errno name (ENOENT, EPERM, ...). */
export interface NativeError extends Error {
  code?: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
// dist/src/io -> the package root, where node-gyp put build/.
const addonPath = path.resolve(here, '../../../build/Release/vxlan_native.node');

let addon: NativeAddon | undefined;

export function loadNative(): NativeAddon {
  addon ??= createRequire(import.meta.url)(addonPath) as NativeAddon;
  return addon;
}
