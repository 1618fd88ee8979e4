import { describe, expect, it } from 'vitest';
import { cutLongValues, printable } from '../../src/config/errors.js';

describe('messages of readable size', () => {
  it('keeps a short message as it is', () => {
    expect(cutLongValues('--vni must be from 0 to 16777215, not 16777216')).toBe('--vni must be from 0 to 16777215, not 16777216');
  });

  it('cuts a long value, saying how much was left out, and cutting twice changes nothing', () => {
    const once = cutLongValues(`--tap must be short, not "${'x'.repeat(50_000_000)}"`);
    expect(once).toBe(`--tap must be short, not "${'x'.repeat(199)} ...(49999802 more characters)`);
    expect(cutLongValues(once)).toBe(once);
  });

  it('cuts a long message of short words', () => {
    const cut = cutLongValues('ab '.repeat(1_000_000));
    expect(cut.length).toBeLessThanOrEqual(1000);
    expect(cut).toMatch(/ \.\.\.\(cut; 3000000 characters in all\)$/);
    expect(cutLongValues(cut)).toBe(cut);
  });

  it('prints control characters as \\xNN: one line, no escape sequences', () => {
    expect(printable('--vni must be a number, not "1\n2\t3\x1b[2J"')).toBe('--vni must be a number, not "1\\x0a2\\x093\\x1b[2J"');
  });
});
