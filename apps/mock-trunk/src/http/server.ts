import { timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { silentLogger } from '@referkit/media';
import type { TrunkEvent } from '../observe/types.js';
import type { HttpApi, HttpApiOptions, HttpSource } from './types.js';

/** Codes of {@link HttpApiError}. */
export type HttpApiErrorCode = 'NON_LOOPBACK_WITHOUT_CREDENTIALS' | 'INVALID_OPTIONS' | 'LISTEN_FAILED';

/** Error thrown (as a rejected promise) by {@link startHttpApi}. */
export class HttpApiError extends Error {
  /** Machine-readable reason. */
  readonly code: HttpApiErrorCode;
  /**
   * @param code - reason
   * @param message - text naming the fix
   * @param options - standard error options (`cause`)
   */
  constructor(code: HttpApiErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HttpApiError';
    this.code = code;
  }
}

/** `true` for `localhost`, 127.0.0.0/8, `::1` and IPv4-mapped loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

const DEFAULT_HEARTBEAT_MS = 15_000;
/** An SSE client whose unsent backlog exceeds this is disconnected (it is not reading). */
const MAX_SSE_BACKLOG = 1024 * 1024;
const ALLOW = 'GET, HEAD';
const REALM = 'referkit-trunk';

/** The routes, for `GET /` and for 404 messages. */
const ROUTES = [
  'GET /calls',
  'GET /calls/:id',
  'GET /calls/:id/ladder',
  'GET /calls/:id/pcap[?rtp=1]',
  'GET /events[?call=<id>][&types=sip,state,media,record]',
] as const;

type Route =
  | { readonly kind: 'index' }
  | { readonly kind: 'calls' }
  | { readonly kind: 'call'; readonly id: string }
  | { readonly kind: 'ladder'; readonly id: string }
  | { readonly kind: 'pcap'; readonly id: string }
  | { readonly kind: 'events' };

class BadRequest extends Error {}

function route(pathname: string): Route | undefined {
  const trimmed = pathname.replace(/\/+$/, '');
  const segments = trimmed === '' ? [] : trimmed.split('/').slice(1);
  const decode = (text: string): string => {
    try {
      return decodeURIComponent(text);
    } catch {
      throw new BadRequest(`bad percent-encoding in ${JSON.stringify(text)}`);
    }
  };
  if (segments.length === 0) return { kind: 'index' };
  if (segments[0] === 'events' && segments.length === 1) return { kind: 'events' };
  if (segments[0] !== 'calls') return undefined;
  if (segments.length === 1) return { kind: 'calls' };
  const id = decode(segments[1] ?? '');
  if (id === '') return undefined;
  if (segments.length === 2) return { kind: 'call', id };
  if (segments.length === 3 && segments[2] === 'ladder') return { kind: 'ladder', id };
  if (segments.length === 3 && segments[2] === 'pcap') return { kind: 'pcap', id };
  return undefined;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body, jsonReplacer, 2)}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function sendError(
  res: ServerResponse,
  status: number,
  error: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error, message }, headers);
}

/** JSON that survives bigints and Buffers in records. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function authorized(req: IncomingMessage, credentials: { user: string; password: string }): boolean {
  const header = req.headers.authorization;
  if (!header) return false;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match?.[1]) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const userOk = sameSecret(decoded.slice(0, colon), credentials.user);
  const passwordOk = sameSecret(decoded.slice(colon + 1), credentials.password);
  return userOk && passwordOk;
}

interface SseClient {
  readonly res: ServerResponse;
  unsubscribe: () => void;
}

/**
 * Starts the HTTP API (node:http): `GET /calls`, `GET /calls/:id` (record and ladder as JSON),
 * `GET /calls/:id/ladder` (Mermaid text), `GET /calls/:id/pcap` (pcapng download, `?rtp=1` for
 * RTP), `GET /events` (server-sent events, one `event:` per {@link TrunkEvent} type, heartbeat
 * comments). Unknown paths get 404 and other methods 405, both as JSON `{ error, message }`.
 * With credentials every request needs HTTP Basic (401 otherwise).
 *
 * Rejects with {@link HttpApiError}: `NON_LOOPBACK_WITHOUT_CREDENTIALS` when `host` is not a
 * loopback address and no credentials are configured, `INVALID_OPTIONS` for a bad host or port,
 * `LISTEN_FAILED` when the port cannot be bound.
 *
 * @example
 * ```ts
 * const api = await startHttpApi({ host: '127.0.0.1', port: 0, source });
 * const calls = await (await fetch(`${api.url}/calls`)).json();
 * await api.close();
 * ```
 */
export async function startHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  const host = options.host.replace(/^\[|\]$/g, '');
  if (host !== 'localhost' && isIP(host) === 0) {
    throw new HttpApiError(
      'INVALID_OPTIONS',
      `HTTP host must be an IP literal or localhost, got ${JSON.stringify(options.host)}`,
    );
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535) {
    throw new HttpApiError(
      'INVALID_OPTIONS',
      `HTTP port must be an integer 0-65535, got ${String(options.port)}`,
    );
  }
  const credentials = options.credentials;
  if (
    credentials &&
    (credentials.user === '' || credentials.password === '' || credentials.user.includes(':'))
  ) {
    throw new HttpApiError(
      'INVALID_OPTIONS',
      'HTTP credentials need a non-empty user without ":" and a non-empty password',
    );
  }
  if (!isLoopbackHost(host) && !credentials) {
    throw new HttpApiError(
      'NON_LOOPBACK_WITHOUT_CREDENTIALS',
      `refusing to serve the HTTP API on non-loopback address ${options.host} without credentials: set credentials (HTTP Basic) or bind 127.0.0.1 / ::1`,
    );
  }
  const logger = options.logger ?? silentLogger;
  const heartbeatMs = Math.max(10, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  const source: HttpSource = options.source;
  const clients = new Set<SseClient>();
  let closing: Promise<void> | undefined;

  const dropClient = (client: SseClient): void => {
    if (!clients.delete(client)) return;
    client.unsubscribe();
    if (!client.res.writableEnded) client.res.end();
  };

  const openEvents = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void => {
    const call = query.get('call') ?? undefined;
    const typesParam = query.get('types');
    const types = typesParam ? new Set(typesParam.split(',').map((t) => t.trim())) : undefined;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.write('retry: 2000\n: connected\n\n');
    let seq = 0;
    const client: SseClient = { res, unsubscribe: () => undefined };
    clients.add(client);
    const write = (text: string): void => {
      if (!clients.has(client) || res.writableEnded) return;
      res.write(text);
      if (res.writableLength > MAX_SSE_BACKLOG) {
        logger.warn({ backlog: res.writableLength }, 'http: SSE client is not reading; disconnected');
        dropClient(client);
        res.destroy();
      }
    };
    const listener = (event: TrunkEvent): void => {
      if (types && !types.has(event.type)) return;
      if (call !== undefined && (!('call' in event) || event.call !== call)) return;
      seq++;
      write(`id: ${seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event, jsonReplacer)}\n\n`);
    };
    client.unsubscribe = source.subscribe(listener);
    const heartbeat = setInterval(() => write(`: heartbeat ${Date.now()}\n\n`), heartbeatMs);
    res.on('close', () => {
      clearInterval(heartbeat);
      dropClient(client);
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (closing) {
      sendError(res, 503, 'closing', 'the server is shutting down', { Connection: 'close' });
      return;
    }
    if (credentials && !authorized(req, credentials)) {
      sendError(res, 401, 'unauthorized', 'HTTP Basic credentials required', {
        'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"`,
      });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    let target: Route | undefined;
    try {
      target = route(url.pathname);
    } catch (err) {
      if (err instanceof BadRequest) {
        sendError(res, 400, 'bad_request', err.message);
        return;
      }
      throw err;
    }
    if (!target) {
      sendError(res, 404, 'not_found', `no route ${url.pathname}; routes: ${ROUTES.join(', ')}`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 405, 'method_not_allowed', `${req.method ?? '?'} is not allowed on ${url.pathname}`, {
        Allow: ALLOW,
      });
      return;
    }
    switch (target.kind) {
      case 'index':
        sendJson(res, 200, { name: 'referkit-trunk', routes: ROUTES });
        return;
      case 'calls':
        sendJson(res, 200, { calls: source.listCalls() });
        return;
      case 'call': {
        const detail = source.getCall(target.id);
        if (!detail) sendError(res, 404, 'not_found', `no call ${JSON.stringify(target.id)}`);
        else sendJson(res, 200, detail);
        return;
      }
      case 'ladder': {
        const detail = source.getCall(target.id);
        if (!detail) {
          sendError(res, 404, 'not_found', `no call ${JSON.stringify(target.id)}`);
          return;
        }
        const text = detail.ladder.endsWith('\n') ? detail.ladder : `${detail.ladder}\n`;
        res.writeHead(200, {
          'Content-Type': 'text/plain; charset=utf-8',
          'Content-Length': Buffer.byteLength(text),
          'Cache-Control': 'no-store',
        });
        res.end(text);
        return;
      }
      case 'pcap': {
        const rtp = ['1', 'true', 'yes'].includes(url.searchParams.get('rtp') ?? '');
        const capture = source.pcap(target.id, { rtp });
        if (!capture) {
          sendError(res, 404, 'not_found', `no call ${JSON.stringify(target.id)}`);
          return;
        }
        const filename = `${target.id.replace(/[^A-Za-z0-9._-]/g, '_')}.pcapng`;
        res.writeHead(200, {
          'Content-Type': 'application/x-pcapng',
          'Content-Length': capture.length,
          'Content-Disposition': `attachment; filename="${filename}"`,
          'Cache-Control': 'no-store',
        });
        res.end(capture);
        return;
      }
      case 'events':
        openEvents(req, res, url.searchParams);
        return;
    }
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      logger.error({ err, url: req.url }, 'http: request failed');
      if (!res.headersSent) sendError(res, 500, 'internal_error', 'the request failed; see the trunk log');
      else res.destroy();
    }
  });
  server.on('clientError', (err, socket) => {
    logger.debug({ err }, 'http: client error');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(
        new HttpApiError(
          'LISTEN_FAILED',
          `cannot listen on ${options.host}:${options.port}: ${err.message}`,
          { cause: err },
        ),
      );
    };
    server.once('error', onError);
    server.listen({ host, port: options.port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err }, 'http: server error'));
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : options.port;
  const boundHost = typeof bound === 'object' && bound ? bound.address : host;
  const url = `http://${boundHost.includes(':') ? `[${boundHost}]` : boundHost}:${port}`;
  logger.info({ url }, 'http: listening');

  const shutdown = async (): Promise<void> => {
    for (const client of [...clients]) dropClient(client);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Give in-flight responses a moment, then cut whatever is left.
    const timer = setTimeout(() => server.closeAllConnections(), 1000);
    await closed;
    clearTimeout(timer);
  };

  return {
    url,
    address: { host: boundHost, port },
    close: () => {
      closing ??= shutdown();
      return closing;
    },
  };
}
