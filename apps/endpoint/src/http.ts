import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '@referkit/media';
import { TransferError } from '@referkit/sipjs';
import { EndpointError, type EndpointHandle } from './endpoint.js';
import type { EndpointEvent } from './events.js';
import { parseAudioSpec } from './options.js';

/** Options of {@link serveEndpointHttp}. */
export interface EndpointHttpOptions {
  /** Address to bind (default `127.0.0.1`). */
  readonly host?: string | undefined;
  /** Port (default 0: ephemeral). */
  readonly port?: number | undefined;
  /** pino-compatible logger (default silent). */
  readonly logger?: Logger | undefined;
}

/** A running HTTP API. */
export interface EndpointHttpServer {
  /** Base URL, e.g. `http://127.0.0.1:8070`. */
  readonly url: string;
  /** Closes the listener and every event stream. */
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY = 65_536;

function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, 'TOO_LARGE', 'request body over 64 KiB'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text.length === 0) return resolve({});
      try {
        const value: unknown = JSON.parse(text);
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          reject(new HttpError(400, 'BAD_JSON', 'the body must be a JSON object'));
        } else resolve(value as Record<string, unknown>);
      } catch {
        reject(new HttpError(400, 'BAD_JSON', 'the body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

function stringField(body: Record<string, unknown>, name: string, required: true): string;
function stringField(body: Record<string, unknown>, name: string, required: false): string | undefined;
function stringField(body: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = body[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new HttpError(400, 'BAD_REQUEST', `"${name}" must be a non-empty string`);
  }
  return value;
}

function optionalNumber(body: Record<string, unknown>, name: string): number | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new HttpError(400, 'BAD_REQUEST', `"${name}" must be a positive number`);
  }
  return value;
}

function optionalBoolean(body: Record<string, unknown>, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new HttpError(400, 'BAD_REQUEST', `"${name}" must be true or false`);
  return value;
}

function stringList(body: Record<string, unknown>, name: string): string[] | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string' && v.length > 0)) {
    throw new HttpError(400, 'BAD_REQUEST', `"${name}" must be a list of strings`);
  }
  return value;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function errorStatus(err: unknown): { status: number; code: string; message: string; sipStatus?: number } {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof EndpointError) {
    const status =
      err.code === 'NO_SUCH_CALL'
        ? 404
        : err.code === 'BAD_NUMBER'
          ? 400
          : err.code === 'NOT_ANSWERED'
            ? 502
            : 409;
    return {
      status,
      code: err.code,
      message: err.message,
      ...(err.status === undefined ? {} : { sipStatus: err.status }),
    };
  }
  if (err instanceof TransferError) {
    const status =
      err.code === 'INVALID_TARGET' || err.code === 'INVALID_INPUT' || err.code === 'NO_TARGETS' ? 400 : 409;
    return {
      status,
      code: err.code,
      message: err.message,
      ...(err.referToError ? { sipStatus: err.referToError.status } : {}),
    };
  }
  return { status: 500, code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

/**
 * Serves an endpoint over HTTP (JSON) with server-sent events, for dashboards and scripts:
 *
 * | method and path | body | answer |
 * |---|---|---|
 * | `GET /health` | | `{ ok, contact }` |
 * | `GET /calls` | | every call's state |
 * | `POST /calls` | `{ number, audio? }` | `201 { id, sipCallId }` once answered; `502` when not answered |
 * | `GET /calls/:id` | | the call's state |
 * | `POST /calls/:id/transfer` | `{ target, fallbacks?, timeoutMs?, validate?, allowEarlyHangup?, wait? }` | `202` (outcome as an event) or, with `wait: true`, `200` and the outcome |
 * | `POST /calls/:id/hangup` | `{ force? }` | `200`; `409` while a transfer is in flight |
 * | `POST /calls/:id/hold` | `{ held }` | `200` |
 * | `POST /calls/:id/dtmf` | `{ digits }` | `200` |
 * | `GET /events` | | `text/event-stream`, one `EndpointEvent` per message (event name = its `type`) |
 *
 * Errors are `{ error: { code, message, sipStatus? } }` with 400 (bad input), 404 (no such call or
 * route), 409 (wrong state), 502 (call not answered).
 */
export async function serveEndpointHttp(
  endpoint: EndpointHandle,
  options: EndpointHttpOptions = {},
): Promise<EndpointHttpServer> {
  const logger = options.logger ?? silentLogger;
  const streams = new Set<http.ServerResponse>();
  const unsubscribe = endpoint.subscribe((event: EndpointEvent) => {
    const data = `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    for (const res of streams) res.write(data);
  });

  const route = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter((p) => p.length > 0);
    const method = req.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/health') {
      return send(res, 200, { ok: true, contact: endpoint.contact });
    }
    if (method === 'GET' && url.pathname === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      res.write(': referkit endpoint events\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (parts[0] !== 'calls') throw new HttpError(404, 'NOT_FOUND', `no route ${method} ${url.pathname}`);
    if (parts.length === 1) {
      if (method === 'GET') return send(res, 200, endpoint.calls());
      if (method === 'POST') {
        const body = await readJson(req);
        const number = stringField(body, 'number', true);
        const audioText = stringField(body, 'audio', false);
        const audio = audioText === undefined ? undefined : parseAudioSpec(audioText);
        if (audioText !== undefined && !audio) {
          throw new HttpError(400, 'BAD_REQUEST', '"audio" must be tone:<hz> or a .wav path');
        }
        const call = await endpoint.call(number, audio ? { audio } : {});
        return send(res, 201, { id: call.id, sipCallId: call.sipCallId });
      }
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} /calls is not supported`);
    }
    const id = parts[1] as string;
    if (!endpoint.hasCall(id)) throw new HttpError(404, 'NO_SUCH_CALL', `no call ${id}`);
    if (parts.length === 2 && method === 'GET') return send(res, 200, endpoint.callState(id));
    if (parts.length !== 3 || method !== 'POST') {
      throw new HttpError(404, 'NOT_FOUND', `no route ${method} ${url.pathname}`);
    }
    const body = await readJson(req);
    const action = parts[2] ?? '';
    switch (action) {
      case 'transfer': {
        const target = stringField(body, 'target', true);
        const fallbacks = stringList(body, 'fallbacks');
        const timeoutMs = optionalNumber(body, 'timeoutMs');
        const validate = optionalBoolean(body, 'validate');
        const allowEarlyHangup = optionalBoolean(body, 'allowEarlyHangup');
        const wait = optionalBoolean(body, 'wait') ?? false;
        const running = endpoint.transfer(id, target, {
          ...(fallbacks ? { fallbacks } : {}),
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
          ...(validate === undefined ? {} : { validate }),
          ...(allowEarlyHangup === undefined ? {} : { allowEarlyHangup }),
        });
        if (wait) {
          const result = await running;
          return send(res, 200, result);
        }
        // Errors that prevent sending (bad target, wrong state) surface before the REFER goes out.
        const early = await Promise.race([
          running.then(
            () => undefined,
            (err: unknown) => err,
          ),
          new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined))),
        ]);
        if (early !== undefined) throw early instanceof Error ? early : new Error('transfer failed');
        running.catch((err: unknown) => logger.warn({ err, callId: id }, 'transfer failed'));
        return send(res, 202, { accepted: true });
      }
      case 'hangup':
        await endpoint.hangup(id, { force: optionalBoolean(body, 'force') ?? false });
        return send(res, 200, endpoint.callState(id));
      case 'hold': {
        const held = optionalBoolean(body, 'held');
        if (held === undefined) throw new HttpError(400, 'BAD_REQUEST', '"held" must be true or false');
        await endpoint.hold(id, held);
        return send(res, 200, endpoint.callState(id));
      }
      case 'dtmf': {
        const digits = stringField(body, 'digits', true);
        if (!/^[0-9*#A-Da-d]+$/.test(digits))
          throw new HttpError(400, 'BAD_REQUEST', '"digits" must be 0-9 * # A-D');
        await endpoint.sendDtmf(id, digits);
        return send(res, 200, endpoint.callState(id));
      }
      default:
        throw new HttpError(404, 'NOT_FOUND', `no route ${method} ${url.pathname}`);
    }
  };

  const server = http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const { status, ...error } = errorStatus(err);
      if (status >= 500) logger.error({ err }, 'endpoint HTTP request failed');
      if (!res.headersSent) send(res, status, { error });
      else res.end();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  return {
    url,
    close: async () => {
      unsubscribe();
      for (const res of streams) res.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
