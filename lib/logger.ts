import { UsageError } from './errors.ts';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  readonly level: LogLevel;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/**
 * Diagnostics go to stderr so that stdout stays the command's result (tables, the
 * `results: <path>` line) and can be piped.
 */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Logger {
  const at =
    (lineLevel: LogLevel) =>
    (message: string): void => {
      if (rank[lineLevel] >= rank[level])
        write(lineLevel === 'info' ? message : `[${lineLevel}] ${message}`);
    };
  return { level, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export function parseLogLevel(value: string | undefined, fallback: LogLevel): LogLevel {
  if (value === undefined || value === '') return fallback;
  const found = LOG_LEVELS.find((l) => l === value);
  if (found === undefined) {
    throw new UsageError(`--log-level "${value}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  return found;
}

export const silentLogger: Logger = createLogger('silent');
