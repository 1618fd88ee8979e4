// The addon's edges fail loudly: an argument of the wrong type is a TypeError naming the
// function and the argument, an interface name that does not fit is an error (never an
// ioctl on a half-filled request), a failed call names its step as a code, and a
// constructor that fails halfway leaves no descriptor open.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadLabNative } from '../../lab/native.js';
import { loadNative, type NativeError, type UnderlayOptions } from '../../src/io/native.js';

const native = loadNative();
// Calls with deliberately wrong types, past the addons' TypeScript signatures: the VTEP's
// functions, and the lab's (offloadFeature).
const untyped = { ...native, ...loadLabNative() } as unknown as Record<string, (...args: unknown[]) => unknown>;
const construct = (name: string, args: unknown[]): unknown => new (native as unknown as Record<string, new (...a: unknown[]) => unknown>)[name]!(...args);

const UNDERLAY: UnderlayOptions = { family: 4, local: '127.0.0.1', port: 0, device: '', groups: [], busyPollUs: 0, udpChecksum: true, udp6ZeroChecksumTx: false, udp6ZeroChecksumRx: false, reusePort: false, claimPort: false, multicastAll: true };
const UNDERLAY_KEYS = '(the keys are family, local, port, device, groups, busyPollUs, udpChecksum, udp6ZeroChecksumTx, udp6ZeroChecksumRx, reusePort, claimPort, multicastAll, fd?)';
const openFds = (): number => readdirSync('/proc/self/fd').length;
const noop = (): void => {};

/** The error `call` throws; fails when it throws nothing. */
function thrown(call: () => unknown): NativeError {
  try {
    call();
  } catch (err) {
    return err as NativeError;
  }
  throw new Error('expected an error');
}

describe('native arguments', () => {
  it.each([
    ['openTap', [5], 'openTap: argument 1 (name) must be a string'],
    ['openTap', ['vxt0', 'yes'], 'openTap: argument 2 (offload) must be a boolean'],
    ['setMtu', [123, 1400], 'setMtu: argument 1 (name) must be a string'],
    ['setMtu', ['vxt0', '1400'], 'setMtu: argument 2 (mtu) must be a number'],
    ['setMac', ['vxt0', Buffer.alloc(3)], 'setMac: argument 2 (mac) must be a Buffer long enough'],
    ['setUp', ['vxt0'], 'setUp: argument 2 (up) must be a boolean'],
    ['addAddress', ['vxt0', '192.0.2.1', '24'], 'addAddress: argument 3 (prefixLength) must be a number'],
    ['addToBridge', [undefined, 'vxt0'], 'addToBridge: argument 1 (bridge) must be a string'],
    ['offloadFeature', ['', 'vxt0', 'tx', 1], 'offloadFeature: argument 4 (on) must be a boolean'],
    ['closeFd', ['3'], 'closeFd: argument 1 (fd) must be a number'],
    ['writeFrames', [-1, new Uint8Array(8), new Uint8Array(8), 0], 'writeFrames: argument 3 (frames) must be an Int32Array'],
    ['writeFramesOffload', [-1, new Uint8Array(8), new Int32Array(8), 0, 1], 'writeFramesOffload: argument 5 (coalesce) must be a boolean'],
    ['setBusyPoll', ['10'], 'setBusyPoll: argument 1 (us) must be a number'],
  ])('%s(%j) is a TypeError', (fn, args, message) => {
    const err = thrown(() => untyped[fn]!(...args));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe(message);
  });

  it.each([
    ['FdReader', ['3', new ArrayBuffer(64), new Int32Array(8), 16, noop], 'FdReader: argument 1 (fd) must be a number'],
    ['OffloadReader', [-1, new ArrayBuffer(64), new Uint8Array(8), 16, noop], 'OffloadReader: argument 3 (batch) must be an Int32Array'],
    ['OffloadReader', [-1, new Uint8Array(64), new Int32Array(8), 16, noop], 'OffloadReader: argument 2 (region) must be an ArrayBuffer'],
    ['UdpReceiver', [UNDERLAY, new ArrayBuffer(64), new Int32Array(8), 64, false, 'onBatch'], 'UdpReceiver: argument 6 (onBatch) must be a function'],
    ['UdpReceiver', [{ ...UNDERLAY, port: '4789' }, new ArrayBuffer(64), new Int32Array(8), 64, false, noop], 'underlay options: family, port and busyPollUs must be numbers, local and device strings, groups an array of strings, the checksum settings booleans'],
    ['UdpSender', [UNDERLAY, 40000, 40001, false, noop], 'UdpSender: argument 1 (receiver) must be a UdpReceiver'],
    ['UdpReceiver', [{ ...UNDERLAY, groups: [1] }, new ArrayBuffer(64), new Int32Array(8), 64, false, noop], 'underlay options: family, port and busyPollUs must be numbers, local and device strings, groups an array of strings, the checksum settings booleans'],
    ['UdpReceiver', [{ ...UNDERLAY, busyPollUs: undefined }, new ArrayBuffer(64), new Int32Array(8), 64, false, noop], `underlay options: missing busyPollUs ${UNDERLAY_KEYS}`],
    ['UdpReceiver', [{ ...UNDERLAY, ttl: 64 }, new ArrayBuffer(64), new Int32Array(8), 64, false, noop], `underlay options: unknown key ttl ${UNDERLAY_KEYS}`],
  ])('new %s(%j) is a TypeError', (name, args, message) => {
    const err = thrown(() => construct(name, args));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe(message);
  });

  it('takes underlay options whose optional fd is left out or undefined, as the transport passes them', () => {
    for (const underlay of [UNDERLAY, { ...UNDERLAY, fd: undefined }]) {
      new native.UdpReceiver(underlay, new ArrayBuffer(64), new Int32Array(8), 64, false, noop).close();
    }
  });
});

describe('native interface names', () => {
  it.each([
    ['setMtu', ['a-name-of-16-chr', 1400]],
    ['getMac', ['']],
    ['setUp', ['a-name-of-16-chr', true]],
    ['addAddress', ['a-name-of-16-chr', '192.0.2.1', 24]],
    ['addToBridge', ['br0', 'a-name-of-16-chr']],
    ['offloadFeature', ['', 'a-name-of-16-chr', 'tx']],
  ])('%s with a name that does not fit is refused before any ioctl', (fn, args) => {
    const err = thrown(() => untyped[fn]!(...args));
    expect(err.step).toBe('ifname');
    expect(err.code).toBe('EINVAL');
    expect(err.message).toMatch(/^interface name "(a-name-of-16-chr)?" \(1 to 15 characters\): /);
  });
});

describe('native failed calls', () => {
  it('close the socket of a receiver that fails halfway (bound, then a group it cannot join)', () => {
    const before = openFds();
    const err = thrown(() => new native.UdpReceiver({ ...UNDERLAY, local: '', groups: ['not-an-address'] }, new ArrayBuffer(64), new Int32Array(8), 64, false, noop));
    expect([err.step, err.code]).toEqual(['join', 'EINVAL']);
    expect(openFds()).toBe(before);
  });

  it('name a missing underlay device as such', () => {
    const err = thrown(() => new native.UdpReceiver({ ...UNDERLAY, device: 'vxtnosuch0' }, new ArrayBuffer(64), new Int32Array(8), 64, false, noop));
    expect([err.step, err.code]).toEqual(['device', 'ENODEV']);
  });

  it('give the sender the receiver\'s options, checked for its other arguments', () => {
    const receiver = new native.UdpReceiver(UNDERLAY, new ArrayBuffer(64), new Int32Array(8), 64, false, noop);
    try {
      const err = thrown(() => construct('UdpSender', [receiver, 40000, 40001, 'yes', noop]));
      expect(err.message).toBe('UdpSender: argument 4 (gso) must be a boolean');
    } finally {
      receiver.close();
    }
  });

  it('name the step that failed as a code', () => {
    const err = thrown(() => native.setMtu('vxtnosuch0', 1400));
    expect(err.step).toBe('SIOCSIFMTU');
    // No such device, or (without CAP_NET_ADMIN) not permitted to ask.
    expect(['ENODEV', 'EPERM']).toContain(err.code);
    expect(err.message.split('\n')).toHaveLength(1);
  });
});
