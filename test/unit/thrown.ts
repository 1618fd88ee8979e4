// What a call throws, for tests of refusals.
import { expect } from 'vitest';

/** The message of the `kind` error `call` throws; fails when it throws nothing or something else. */
export function thrownMessage(call: () => unknown, kind: new (...args: never[]) => Error): string {
  let error: unknown;
  try {
    call();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(kind);
  return (error as Error).message;
}
