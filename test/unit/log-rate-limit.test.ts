import { describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { RateLimitedLog } from '../../src/ops/log-rate-limit.js';

function capturedLog(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug', base: undefined }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}

describe('rate-limited per-packet log lines', () => {
  it('lets a burst through per window, then reports what it suppressed once', () => {
    vi.useFakeTimers();
    try {
      const { log, lines } = capturedLog();
      let now = 0;
      const limited = new RateLimitedLog(log, { burst: 3, windowMs: 1000 }, () => now);
      for (let i = 0; i < 230_000; i++) limited.write('info', 'move', { mac: '02:00:00:00:00:01', dst: `198.51.100.${i % 2}` }, 'fdb entry moved');
      expect(lines).toHaveLength(3);
      now = 1000;
      vi.advanceTimersByTime(1000);
      expect(lines).toHaveLength(4);
      expect(lines[3]).toMatchObject({ kind: 'move', suppressed: 229_997, msg: 'fdb entry moved: 229997 similar lines suppressed' });
      // A new window lets a new burst through; nothing suppressed, nothing reported.
      for (let i = 0; i < 3; i++) limited.write('info', 'move', {}, 'fdb entry moved');
      vi.advanceTimersByTime(5000);
      expect(lines).toHaveLength(7);
    } finally {
      vi.useRealTimers();
    }
  });

  it('limits each kind on its own', () => {
    const { log, lines } = capturedLog();
    const limited = new RateLimitedLog(log, { burst: 2, windowMs: 1000 }, () => 0);
    for (let i = 0; i < 10; i++) {
      limited.write('info', 'move', {}, 'moved');
      limited.write('debug', 'l2miss', {}, 'l2miss');
    }
    expect(lines.map((l) => l['msg'])).toEqual(['moved', 'l2miss', 'moved', 'l2miss']);
    limited.flush();
    expect(lines.slice(4).map((l) => l['msg'])).toEqual(['moved: 8 similar lines suppressed', 'l2miss: 8 similar lines suppressed']);
  });

  it('neither logs nor counts below the log level', () => {
    const { log, lines } = capturedLog();
    log.level = 'info';
    const limited = new RateLimitedLog(log, { burst: 1, windowMs: 1000 }, () => 0);
    for (let i = 0; i < 5; i++) limited.write('debug', 'learn', {}, 'learn');
    limited.flush();
    expect(lines).toHaveLength(0);
  });
});
