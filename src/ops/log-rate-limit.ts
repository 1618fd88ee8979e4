// Per-packet log lines (FDB moves, misses, drops, repeated I/O errors) limited as the
// kernel's net_ratelimit limits its messages: a few lines per second for each kind, then
// one line saying how many were suppressed. Without it, an attacker alternating two
// forged sources writes hundreds of thousands of lines a second.
import type { Logger } from './log.js';

export type LogLevelName = 'error' | 'warn' | 'info' | 'debug';

interface KindState {
  windowStart: number;
  lines: number;
  suppressed: number;
  /** The level and message of the kind, for its "suppressed" line. */
  level: LogLevelName;
  msg: string;
  timer: NodeJS.Timeout | undefined;
}

export interface RateLimitOptions {
  /** Lines let through per kind per window. */
  burst: number;
  windowMs: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { burst: 5, windowMs: 1000 };

export class RateLimitedLog {
  private readonly kinds = new Map<string, KindState>();

  constructor(
    private readonly log: Logger,
    private readonly options: RateLimitOptions = DEFAULT_RATE_LIMIT,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Logs `msg` with `fields` unless `kind` used up its burst in the current window; then
   * it is counted, and one "suppressed" line follows at the end of the window.
   */
  write(level: LogLevelName, kind: string, fields: Record<string, unknown>, msg: string): void {
    if (!this.log.isLevelEnabled(level)) return;
    const now = this.clock();
    let state = this.kinds.get(kind);
    if (state === undefined) {
      state = { windowStart: now, lines: 0, suppressed: 0, level, msg, timer: undefined };
      this.kinds.set(kind, state);
    }
    if (now - state.windowStart >= this.options.windowMs) {
      this.reportSuppressed(kind, state);
      state.windowStart = now;
      state.lines = 0;
    }
    if (state.lines < this.options.burst) {
      state.lines++;
      this.log[level](fields, msg);
      return;
    }
    state.suppressed++;
    // The report must come even when the flood stops: a timer, not the next line.
    state.timer ??= setTimeout(() => {
      state.timer = undefined;
      this.reportSuppressed(kind, state);
    }, Math.max(0, state.windowStart + this.options.windowMs - now)).unref();
  }

  /** Logs the pending "suppressed" lines now (at stop). */
  flush(): void {
    for (const [kind, state] of this.kinds) this.reportSuppressed(kind, state);
  }

  private reportSuppressed(kind: string, state: KindState): void {
    if (state.timer !== undefined) {
      clearTimeout(state.timer);
      state.timer = undefined;
    }
    if (state.suppressed === 0) return;
    this.log[state.level]({ kind, suppressed: state.suppressed }, `${state.msg}: ${state.suppressed} similar lines suppressed`);
    state.suppressed = 0;
  }
}
