/**
 * Structured JSON logs, one line per event, to stdout (errors to stderr). Fields are data, never
 * interpolated into the message, so a log line can be searched by case id or request id.
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

function serialiseError(error: unknown): unknown {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return error;
}

export function createLogger(base: Record<string, unknown> = {}, minimum: LogLevel = 'info'): Logger {
  const write = (level: LogLevel, message: string, fields: Record<string, unknown> = {}): void => {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[minimum]) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, message, ...base };
    for (const [key, value] of Object.entries(fields)) entry[key] = key === 'error' ? serialiseError(value) : value;
    const line = `${JSON.stringify(entry)}\n`;
    if (level === 'error' || level === 'warn') process.stderr.write(line);
    else process.stdout.write(line);
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    child: (fields) => createLogger({ ...base, ...fields }, minimum),
  };
}
