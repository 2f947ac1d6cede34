// Log setup: pino JSON for machines, one readable line per record for a person at a terminal.
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

/** `auto`: readable when stdout is a terminal, JSON otherwise (a pipe, a file, a log collector). */
export type LogFormat = 'auto' | 'pretty' | 'json';

/** Paths pino blanks out whatever a caller passes in. */
const REDACT = ['req.headers.authorization', 'password', '*.password', 'access_token', '*.access_token', 'as_token', 'hs_token'];

export interface LoggerOptions {
  level: string;
  format?: LogFormat;
  /** Defaults to stdout. */
  stream?: DestinationStream | NodeJS.WritableStream;
}

export function usePretty(format: LogFormat = 'auto', stream?: unknown): boolean {
  if (format !== 'auto') return format === 'pretty';
  return stream === undefined && process.stdout.isTTY === true;
}

export function createLogger(opts: LoggerOptions | string): Logger {
  const o: LoggerOptions = typeof opts === 'string' ? { level: opts } : opts;
  const base = { level: o.level, redact: { paths: REDACT, censor: '<redacted>' } };
  if (!usePretty(o.format, o.stream)) return o.stream ? pino(base, o.stream as DestinationStream) : pino(base);
  return pino(base, pretty({
    colorize: o.stream === undefined && process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
    sync: true,
    destination: (o.stream as NodeJS.WritableStream | undefined) ?? 1,
  }));
}
