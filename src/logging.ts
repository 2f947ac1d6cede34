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
    hideObject: true,
    messageFormat: prettyMessage,
    sync: true,
    destination: (o.stream as NodeJS.WritableStream | undefined) ?? 1,
  }));
}

/** Fields every record has (or that only help machines): not repeated on a readable line. */
const QUIET = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component', 'reqId', 'remoteAddress']);

/**
 * The message, then the record's other fields as compact JSON. An access line's message already
 * says everything (method, path, status, errcode, user, ms), so its fields are not repeated.
 */
function prettyMessage(log: Record<string, unknown>, messageKey: string): string {
  const msg = String(log[messageKey] ?? '');
  if (typeof log.status === 'number' && typeof log.path === 'string' && typeof log.ms === 'number') return msg;
  // Fields the message already spells out (a url, a server name, a date) are not repeated.
  const said = (v: unknown) => typeof v === 'string' && v.length >= 3 && msg.includes(v);
  const rest = Object.fromEntries(Object.entries(log).filter(([k, v]) => !QUIET.has(k) && k !== messageKey && !said(v)));
  if (rest.err && typeof rest.err === 'object') {
    const err = rest.err as { message?: string; stack?: string };
    rest.err = err.stack ?? err.message;
  }
  return Object.keys(rest).length ? `${msg} ${JSON.stringify(rest)}` : msg;
}
