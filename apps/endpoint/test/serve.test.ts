import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { startMockTrunk } from '@referkit/mock-trunk';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { serveEndpointHttp, startEndpoint, type EndpointEvent } from '../src/index.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    headers: { 'content-type': 'application/json' },
  });
  return { status: res.status, json: await res.json() };
}

/** Reads server-sent events into an array until closed. */
async function sse(url: string): Promise<{ events: EndpointEvent[]; close(): void }> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  const events: EndpointEvent[] = [];
  const body = res.body as unknown as AsyncIterable<Uint8Array> | null;
  if (!body) throw new Error('no body');
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (data) events.push(JSON.parse(data.slice(6)) as EndpointEvent);
        }
      }
    } catch {
      // aborted
    }
  })();
  return { events, close: () => controller.abort() };
}

function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      if (check()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe('serve mode: HTTP API and server-sent events', () => {
  it('starts a call, streams events, refuses bad input, holds, transfers, reports state', async () => {
    const trunk = await startMockTrunk({ media: 'none' });
    cleanup.push(() => trunk.close());
    const address = trunk.addresses[0];
    if (!address) throw new Error('no trunk address');
    const endpoint = await startEndpoint({
      trunk: { host: address.host, port: address.port },
      domain: trunk.domain,
    });
    cleanup.push(() => endpoint.close());
    const server = await serveEndpointHttp(endpoint);
    cleanup.push(() => server.close());
    const stream = await sse(`${server.url}/events`);
    cleanup.push(() => stream.close());

    expect((await api(server.url, 'GET', '/health')).json).toMatchObject({ ok: true });
    expect((await api(server.url, 'POST', '/calls', '{not json')).status).toBe(400);
    expect((await api(server.url, 'POST', '/calls', { number: '12345' })).json).toMatchObject({
      error: { code: 'BAD_NUMBER' },
    });
    expect((await api(server.url, 'GET', '/calls/nope')).status).toBe(404);
    const busy = await api(server.url, 'POST', '/calls', { number: '+14155550102' });
    expect(busy).toMatchObject({ status: 502, json: { error: { code: 'NOT_ANSWERED', sipStatus: 486 } } });

    const created = await api(server.url, 'POST', '/calls', { number: '+14155550100' });
    expect(created.status).toBe(201);
    const id = (created.json as { id: string }).id;
    expect((await api(server.url, 'GET', `/calls/${id}`)).json).toMatchObject({ id, status: 'answered' });

    const held = await api(server.url, 'POST', `/calls/${id}/hold`, { held: true });
    expect(held).toMatchObject({ status: 200, json: { held: true } });
    expect((await api(server.url, 'POST', `/calls/${id}/hold`, { held: false })).json).toMatchObject({
      held: false,
    });

    const refused = await api(server.url, 'POST', `/calls/${id}/transfer`, {
      target: 'sip:+14155550101@elsewhere.example.com',
    });
    expect(refused).toMatchObject({
      status: 400,
      json: { error: { code: 'INVALID_TARGET', sipStatus: 403 } },
    });

    const accepted = await api(server.url, 'POST', `/calls/${id}/transfer`, { target: '+14155550101' });
    expect(accepted.status).toBe(202);
    await waitFor(() => stream.events.some((e) => e.type === 'hangup' && e.callId === id), 'hangup event');
    expect(stream.events.filter((e) => e.callId === id && e.type !== 'hearing').map((e) => e.type)).toEqual([
      'calling',
      'ringing',
      'answered',
      'transferring',
      'transfer-outcome',
      'transferring',
      'transfer-progress',
      'transfer-progress',
      'transfer-outcome',
      'hangup',
    ]);
    expect((await api(server.url, 'GET', `/calls/${id}`)).json).toMatchObject({
      status: 'transferred',
      transferOutcome: 'succeeded',
      ended: { by: 'trunk' },
    });
  });
});

describe('referkit-endpoint serve (process)', () => {
  it('prints where it listens, answers /health and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        inject('cliPath'),
        'serve',
        '--http',
        '127.0.0.1:0',
        '--trunk',
        '127.0.0.1:5060',
        '--domain',
        'lab.zt.plivo.com',
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    cleanup.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<string>((resolve) => lines.once('line', resolve));
    const listening = JSON.parse(first) as { type: string; url: string };
    expect(listening.type).toBe('listening');
    expect((await api(listening.url, 'GET', '/health')).json).toMatchObject({ ok: true });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
