import { createServer } from 'node:net';
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpApiError, isLoopbackHost, startHttpApi } from '../../src/http/index.js';
import type {
  CallDetail,
  HttpApi,
  HttpApiOptions,
  HttpSource,
  PcapRequestOptions,
} from '../../src/http/index.js';
import type { TrunkEvent } from '../../src/observe/index.js';
import { until } from '../phones/uac.js';

/** A fake source over an in-memory call table; `emit` pushes events to subscribers. */
class FakeSource implements HttpSource {
  readonly bus = new EventEmitter<{ event: [TrunkEvent] }>();
  readonly pcapRequests: [string, PcapRequestOptions][] = [];
  failList = false;
  readonly calls: CallDetail[] = [
    {
      id: 'call-1',
      record: { from: '+14155550100', state: 'transferred' },
      ladder: 'sequenceDiagram\n    E->>T: INVITE\n',
    },
    { id: 'call 2/x', record: { state: 'connected' }, ladder: 'sequenceDiagram' },
  ];
  listCalls() {
    if (this.failList) throw new Error('table exploded');
    return this.calls.map((c) => ({ id: c.id, state: (c.record as { state: string }).state }));
  }
  getCall(id: string) {
    return this.calls.find((c) => c.id === id);
  }
  subscribe(listener: (event: TrunkEvent) => void) {
    this.bus.on('event', listener);
    return () => this.bus.off('event', listener);
  }
  pcap(id: string, options: PcapRequestOptions) {
    this.pcapRequests.push([id, options]);
    return this.getCall(id) ? Buffer.from([0x0a, 0x0d, 0x0d, 0x0a, id.length]) : undefined;
  }
  emit(event: TrunkEvent) {
    this.bus.emit('event', event);
  }
  get listeners() {
    return this.bus.listenerCount('event');
  }
}

const apis: HttpApi[] = [];
afterEach(async () => {
  await Promise.all(apis.splice(0).map((a) => a.close()));
});

async function start(options: Partial<HttpApiOptions> = {}): Promise<{ api: HttpApi; source: FakeSource }> {
  const source = new FakeSource();
  const api = await startHttpApi({ host: '127.0.0.1', port: 0, source, ...options });
  apis.push(api);
  return { api, source };
}

/** Reads an SSE stream frame by frame. */
class SseReader {
  private buffer = '';
  private readonly decoder = new TextDecoder();
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}
  /** The next frame (text up to a blank line), or undefined at the end of the stream. */
  async next(): Promise<string | undefined> {
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const frame = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return frame;
      }
      const { done, value } = await this.reader.read();
      if (done) return undefined;
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }
  /** Stops reading: the connection closes. */
  cancel(): Promise<void> {
    return this.reader.cancel();
  }
  /** The next frame that is an event (skipping comments), parsed. */
  async nextEvent(): Promise<{ id: string; event: string; data: unknown } | undefined> {
    for (;;) {
      const frame = await this.next();
      if (frame === undefined) return undefined;
      const fields = new Map<string, string>();
      for (const line of frame.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
      }
      if (!fields.has('data')) continue;
      return {
        id: fields.get('id') ?? '',
        event: fields.get('event') ?? 'message',
        data: JSON.parse(fields.get('data')!),
      };
    }
  }
}

const sipEvent: TrunkEvent = {
  type: 'sip',
  at: 1,
  direction: 'in',
  transport: 'udp',
  local: '127.0.0.1:5060',
  remote: '127.0.0.1:5070',
  callId: 'abc',
  call: 'call-1',
  leg: 'endpoint',
  raw: 'REFER sip:x SIP/2.0\r\n\r\n',
  summary: 'REFER',
};

describe('HTTP API', () => {
  it('lists calls, gets one with record and ladder, serves the ladder as text', async () => {
    const { api } = await start();
    expect(api.url).toBe(`http://127.0.0.1:${api.address.port}`);
    const list = await fetch(`${api.url}/calls`);
    expect(list.status).toBe(200);
    expect(list.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await list.json()).toEqual({
      calls: [
        { id: 'call-1', state: 'transferred' },
        { id: 'call 2/x', state: 'connected' },
      ],
    });
    const one = await fetch(`${api.url}/calls/call-1`);
    expect(await one.json()).toMatchObject({
      id: 'call-1',
      record: { state: 'transferred' },
    });
    expect(((await (await fetch(`${api.url}/calls/call-1`)).json()) as CallDetail).ladder).toContain(
      'sequenceDiagram',
    );
    const encoded = await fetch(`${api.url}/calls/${encodeURIComponent('call 2/x')}`);
    expect(encoded.status).toBe(200);
    const ladder = await fetch(`${api.url}/calls/call-1/ladder`);
    expect(ladder.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await ladder.text()).toBe('sequenceDiagram\n    E->>T: INVITE\n');
    const index = (await (await fetch(`${api.url}/`)).json()) as { routes: string[] };
    expect(index.routes).toContain('GET /calls');
  });

  it('downloads a pcapng, passing ?rtp=1 through', async () => {
    const { api, source } = await start();
    const plain = await fetch(`${api.url}/calls/call-1/pcap`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('application/x-pcapng');
    expect(plain.headers.get('content-disposition')).toBe('attachment; filename="call-1.pcapng"');
    expect(Buffer.from(await plain.arrayBuffer())).toEqual(Buffer.from([0x0a, 0x0d, 0x0d, 0x0a, 6]));
    await (await fetch(`${api.url}/calls/call-1/pcap?rtp=1`)).arrayBuffer();
    expect(source.pcapRequests).toEqual([
      ['call-1', { rtp: false }],
      ['call-1', { rtp: true }],
    ]);
    const missing = await fetch(`${api.url}/calls/nope/pcap`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
  });

  it('answers 404, 405 and 400 as JSON, HEAD without a body, 500 when the source throws', async () => {
    const { api, source } = await start();
    for (const path of ['/nope', '/calls/call-1/other', '/calls/missing', '/calls/missing/ladder']) {
      const res = await fetch(`${api.url}${path}`);
      expect(res.status, path).toBe(404);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe('not_found');
      expect(body.message.length).toBeGreaterThan(0);
    }
    const post = await fetch(`${api.url}/calls`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(await post.json()).toMatchObject({ error: 'method_not_allowed' });
    const bad = await fetch(`${api.url}/calls/%E0%A4%A`);
    expect(bad.status).toBe(400);
    const head = await fetch(`${api.url}/calls`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    source.failList = true;
    const failed = await fetch(`${api.url}/calls`);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ error: 'internal_error' });
    source.failList = false;
    expect((await fetch(`${api.url}/calls`)).status).toBe(200);
  });

  it('streams events as SSE with ids, types, filters and heartbeats; unsubscribes when the client leaves', async () => {
    const { api, source } = await start({ heartbeatMs: 50 });
    const controller = new AbortController();
    const res = await fetch(`${api.url}/events`, { signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const sse = new SseReader(res.body!.getReader());
    await until(() => source.listeners === 1, 'the subscription');
    const filtered = await fetch(`${api.url}/events?call=call-2&types=state`);
    const filteredSse = new SseReader(filtered.body!.getReader());
    await until(() => source.listeners === 2, 'the second subscription');
    source.emit(sipEvent);
    source.emit({ type: 'state', at: 2, call: 'call-1', state: 'transferring' });
    source.emit({ type: 'state', at: 3, call: 'call-2', state: 'ringing' });
    expect(await sse.nextEvent()).toEqual({ id: '1', event: 'sip', data: sipEvent });
    expect(await sse.nextEvent()).toMatchObject({ id: '2', event: 'state', data: { call: 'call-1' } });
    expect(await sse.nextEvent()).toMatchObject({ id: '3', event: 'state', data: { call: 'call-2' } });
    expect(await filteredSse.nextEvent()).toEqual({
      id: '1',
      event: 'state',
      data: { type: 'state', at: 3, call: 'call-2', state: 'ringing' },
    });
    let frame: string | undefined;
    do frame = await sse.next();
    while (frame !== undefined && !frame.startsWith(': heartbeat'));
    expect(frame).toMatch(/^: heartbeat \d+$/);
    controller.abort();
    await until(() => source.listeners === 1, 'the unsubscription after the client left');
    await filteredSse.cancel();
    await until(() => source.listeners === 0, 'the second unsubscription');
  });

  it('close() ends open SSE streams and frees the port', async () => {
    const { api, source } = await start();
    const res = await fetch(`${api.url}/events`);
    const sse = new SseReader(res.body!.getReader());
    await until(() => source.listeners === 1, 'the subscription');
    await api.close();
    let frame: string | undefined;
    do frame = await sse.next();
    while (frame !== undefined);
    expect(source.listeners).toBe(0);
    await expect(fetch(`${api.url}/calls`)).rejects.toThrow();
    await api.close(); // idempotent
  });

  it('requires HTTP Basic when credentials are set', async () => {
    const { api, source } = await start({ credentials: { user: 'lab', password: 's3cret:x' } });
    const none = await fetch(`${api.url}/calls`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Basic realm="referkit-trunk", charset="UTF-8"');
    expect(await none.json()).toMatchObject({ error: 'unauthorized' });
    const basic = (user: string, password: string) => ({
      Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    });
    expect((await fetch(`${api.url}/calls`, { headers: basic('lab', 'wrong') })).status).toBe(401);
    expect((await fetch(`${api.url}/calls`, { headers: basic('other', 's3cret:x') })).status).toBe(401);
    expect((await fetch(`${api.url}/calls`, { headers: { Authorization: 'Bearer x' } })).status).toBe(401);
    expect((await fetch(`${api.url}/calls`, { headers: basic('lab', 's3cret:x') })).status).toBe(200);
    expect((await fetch(`${api.url}/events`)).status).toBe(401);
    expect(source.listeners).toBe(0);
  });

  it('refuses a non-loopback host without credentials, before binding anything', async () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.10', '[2001:db8::1]']) {
      const error = await startHttpApi({ host, port: 0, source: new FakeSource() }).catch((e: unknown) => e);
      expect(error, host).toBeInstanceOf(HttpApiError);
      expect((error as HttpApiError).code).toBe('NON_LOOPBACK_WITHOUT_CREDENTIALS');
      expect((error as HttpApiError).message).toMatch(/credentials/);
    }
    expect(isLoopbackHost('127.0.0.2')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
  });

  it('rejects bad options and a port in use with typed errors', async () => {
    const source = new FakeSource();
    await expect(startHttpApi({ host: 'example.com', port: 0, source })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    await expect(startHttpApi({ host: '127.0.0.1', port: 70_000, source })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    await expect(
      startHttpApi({ host: '127.0.0.1', port: 0, source, credentials: { user: '', password: 'x' } }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as { port: number }).port;
      await expect(startHttpApi({ host: '127.0.0.1', port, source })).rejects.toMatchObject({
        name: 'HttpApiError',
        code: 'LISTEN_FAILED',
      });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('serves on IPv6 loopback', async () => {
    const { api } = await start({ host: '::1' });
    expect(api.url).toBe(`http://[::1]:${api.address.port}`);
    expect((await fetch(`${api.url}/calls`)).status).toBe(200);
  });
});
