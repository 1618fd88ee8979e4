// The addon's edges fail loudly: an argument of the wrong type is a TypeError naming the
// function and the argument, an interface name that does not fit is an error (never an
// ioctl on a half-filled request), and a failed call names its step as a code.
import { describe, expect, it } from 'vitest';
import { loadNative, type NativeError } from '../../src/io/native.js';

const native = loadNative();
// Calls with deliberately wrong types, past the addon's TypeScript signature.
const untyped = native as unknown as Record<string, (...args: unknown[]) => unknown>;

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
  ])('%s(%j) is a TypeError', (fn, args, message) => {
    const err = thrown(() => untyped[fn]!(...args));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe(message);
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
  it('name the step that failed as a code', () => {
    const err = thrown(() => native.setMtu('vxtnosuch0', 1400));
    expect(err.step).toBe('SIOCSIFMTU');
    // No such device, or (without CAP_NET_ADMIN) not permitted to ask.
    expect(['ENODEV', 'EPERM']).toContain(err.code);
    expect(err.message.split('\n')).toHaveLength(1);
  });
});
