// The process logger: pino, JSON lines on stderr (or pino-pretty for a person reading).
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from '../config/parse.js';

export type { Logger };

export function createLogger(level: LogLevel, format: 'json' | 'pretty' = 'json'): Logger {
  const options = { level, base: undefined };
  if (format === 'pretty') return pino(options, pretty({ destination: 2, sync: true }));
  return pino(options, pino.destination({ fd: 2, sync: true }));
}
