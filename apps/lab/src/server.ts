import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A transfer target the dashboard offers, and the Refer-To it sends. */
export interface LabTarget {
  readonly id: string;
  readonly label: string;
  readonly referTo: string;
}

/** What the dashboard shows in its header and target list. */
export interface LabInfo {
  readonly trunk: string;
  readonly domain: string;
  readonly customer: string;
  readonly targets: readonly LabTarget[];
}

/** A row of the call-records table. */
export interface LabCallRow {
  readonly callId: string;
  readonly leg: 'original' | 'transfer';
  readonly from: string;
  readonly to: string;
  readonly state: string;
  readonly outcome?: string;
}

/** The events the dashboard draws, streamed as server-sent events. */
export type LabEvent =
  | {
      readonly kind: 'sip';
      readonly callId: string;
      readonly at: number;
      readonly from: string;
      readonly to: string;
      readonly label: string;
      readonly status?: number | undefined;
    }
  | {
      readonly kind: 'transfer';
      readonly callId: string;
      readonly text: string;
      readonly tone: 'progress' | 'connected' | 'failed';
    }
  | { readonly kind: 'call'; readonly callId: string; readonly state: 'ringing' | 'answered' | 'ended' }
  | { readonly kind: 'media'; readonly party: string; readonly hearing: string };

/** What the dashboard server needs from the running lab. */
export interface LabBackend {
  info(): LabInfo;
  startCall(): Promise<{ callId: string }>;
  transfer(callId: string, targetId: string): Promise<void>;
  hangup(callId: string): Promise<void>;
  calls(): readonly LabCallRow[];
  pcap(callId: string): Promise<Uint8Array | undefined>;
  subscribe(listener: (event: LabEvent) => void): () => void;
}

/** An HTTP error with the status the API answers. */
export class LabHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'LabHttpError';
  }
}

const PUBLIC = fileURLToPath(new URL('../public/', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
const STATIC = new Set(['/index.html', '/app.js', '/style.css']);

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 * 1024) throw new LabHttpError(413, 'request body too large');
    chunks.push(chunk);
  }
  if (chunks.length === 0) return {};
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new LabHttpError(400, 'the body must be a JSON object');
  }
}

/**
 * The dashboard's HTTP server: the static page, a small JSON API over the lab, and the lab's events
 * as server-sent events. It binds loopback only.
 */
export async function startDashboard(
  backend: LabBackend,
  options: { host?: string; port?: number } = {},
): Promise<{ url: string; close: () => Promise<void> }> {
  const host = options.host ?? '127.0.0.1';
  const streams = new Set<ServerResponse>();

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://lab');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'GET' && (path === '/' || STATIC.has(path))) {
      const file = path === '/' ? '/index.html' : path;
      const body = await readFile(PUBLIC + file.slice(1));
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
      return;
    }
    if (method === 'GET' && path === '/api/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(`data: ${JSON.stringify({ kind: 'hello', lab: backend.info() })}\n\n`);
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (method === 'GET' && path === '/api/lab') return json(res, 200, backend.info());
    if (method === 'GET' && path === '/api/calls') return json(res, 200, { calls: backend.calls() });
    if (method === 'POST' && path === '/api/calls') return json(res, 201, await backend.startCall());
    const match = /^\/api\/calls\/([^/]+)\/(transfer|hangup|pcap)$/.exec(path);
    if (match) {
      const callId = decodeURIComponent(match[1] ?? '');
      const action = match[2];
      if (method === 'GET' && action === 'pcap') {
        const pcap = await backend.pcap(callId);
        if (!pcap) throw new LabHttpError(404, `no call ${callId}`);
        res.writeHead(200, {
          'content-type': 'application/vnd.tcpdump.pcap',
          'content-disposition': `attachment; filename="${callId.replace(/[^\w.-]/g, '_')}.pcapng"`,
        });
        res.end(pcap);
        return;
      }
      if (method === 'POST' && action === 'transfer') {
        const { target } = await readJson(req);
        if (typeof target !== 'string') throw new LabHttpError(400, 'the body needs a "target"');
        await backend.transfer(callId, target);
        return json(res, 202, { callId, target });
      }
      if (method === 'POST' && action === 'hangup') {
        await backend.hangup(callId);
        return json(res, 200, { callId });
      }
    }
    throw new LabHttpError(404, `no route for ${method} ${path}`);
  };

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const status = err instanceof LabHttpError ? err.status : 500;
      if (!res.headersSent) json(res, status, { error: err instanceof Error ? err.message : String(err) });
      else res.end();
    });
  });
  const unsubscribe = backend.subscribe((event) => {
    const frame = `data: ${JSON.stringify(event)}\n\n`;
    for (const stream of streams) stream.write(frame);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    close: async () => {
      unsubscribe();
      for (const stream of streams) stream.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
