import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startDashboard, type LabBackend, type LabCallRow, type LabEvent } from '../src/server.js';
import { browserUnavailable, launchChromium } from './browser.js';

/**
 * A backend that records what the page asks for and replays the events a transfer produces, so
 * the page's drawing (ladder, transfer state, media panel, records) is checked on its own. The
 * whole-lab test drives the same page against the real trunk and endpoint.
 */
function scriptedBackend(): LabBackend & { requests: string[]; emit(event: LabEvent): void } {
  const listeners = new Set<(event: LabEvent) => void>();
  const rows: LabCallRow[] = [];
  const requests: string[] = [];
  const emit = (event: LabEvent): void => {
    for (const listener of listeners) listener(event);
  };
  return {
    requests,
    emit,
    info: () => ({
      trunk: 'udp:127.0.0.1:5060',
      domain: 'lab.zt.plivo.com',
      customer: '+14155550100',
      targets: [
        { id: 'agent', label: 'Answering agent', referTo: '<sip:+14155550101@lab.zt.plivo.com>' },
        { id: 'busy', label: 'Busy agent', referTo: '<sip:+14155550102@lab.zt.plivo.com>' },
      ],
    }),
    startCall: () => {
      requests.push('call');
      rows.push({
        callId: 'c1',
        leg: 'original',
        from: '+14155550199',
        to: '+14155550100',
        state: 'answered',
      });
      setTimeout(() => {
        emit({ kind: 'sip', callId: 'c1', at: 1, from: 'endpoint', to: 'trunk', label: 'INVITE' });
        emit({ kind: 'sip', callId: 'c1', at: 2, from: 'trunk', to: 'customer', label: 'INVITE' });
        emit({
          kind: 'sip',
          callId: 'c1',
          at: 3,
          from: 'customer',
          to: 'trunk',
          label: '200 OK',
          status: 200,
        });
        emit({
          kind: 'sip',
          callId: 'c1',
          at: 4,
          from: 'trunk',
          to: 'endpoint',
          label: '200 OK',
          status: 200,
        });
        emit({ kind: 'call', callId: 'c1', state: 'answered' });
        emit({ kind: 'media', party: 'customer', hearing: 'agent tone (600 Hz)' });
      }, 10);
      return Promise.resolve({ callId: 'c1' });
    },
    transfer: (callId, target) => {
      requests.push(`transfer ${callId} ${target}`);
      setTimeout(() => {
        emit({ kind: 'sip', callId, at: 5, from: 'endpoint', to: 'trunk', label: 'REFER' });
        emit({
          kind: 'sip',
          callId,
          at: 6,
          from: 'trunk',
          to: 'endpoint',
          label: '202 Accepted',
          status: 202,
        });
        emit({ kind: 'sip', callId, at: 7, from: 'trunk', to: 'target', label: 'INVITE' });
        emit({
          kind: 'sip',
          callId,
          at: 8,
          from: 'target',
          to: 'trunk',
          label: '486 Busy Here',
          status: 486,
        });
        emit({
          kind: 'transfer',
          callId,
          text: 'Failed: 486 Busy Here, caller still with you',
          tone: 'failed',
        });
      }, 10);
      return Promise.resolve();
    },
    hangup: (callId) => {
      requests.push(`hangup ${callId}`);
      return Promise.resolve();
    },
    calls: () => rows,
    pcap: () => Promise.resolve(undefined),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

const unavailable = browserUnavailable();

describe.skipIf(unavailable !== undefined)('dashboard in headless Chromium', () => {
  let browser: Browser;
  let dashboard: Awaited<ReturnType<typeof startDashboard>>;
  const backend = scriptedBackend();

  beforeAll(async () => {
    dashboard = await startDashboard(backend);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
  });

  it('starts a call, transfers it and draws the ladder, the state and the media panel', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(dashboard.url);
    await page.getByText('customer +14155550100').waitFor();

    await page.getByRole('button', { name: 'Call the customer' }).click();
    await page.getByText('Connected to the customer').waitFor();
    await page.locator('#ladder text', { hasText: 'INVITE' }).first().waitFor();
    expect(await page.locator('#ladder line.arrow').count()).toBe(4);
    await expect
      .poll(() => page.locator('#media-rows td[data-party="customer"]').textContent())
      .toBe('agent tone (600 Hz)');
    await expect.poll(() => page.locator('#record-rows tr').count()).toBe(1);

    await page.getByRole('button', { name: /Busy agent/ }).click();
    await page.getByText('Failed: 486 Busy Here, caller still with you').waitFor();
    expect(await page.locator('#ladder line.arrow.error').count()).toBe(1);
    expect(backend.requests).toEqual(['call', 'transfer c1 busy']);

    await page.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => backend.requests.at(-1)).toBe('hangup c1');

    await mkdir(new URL('../test-results/', import.meta.url), { recursive: true });
    await page.screenshot({
      path: new URL('../test-results/dashboard-scripted.png', import.meta.url).pathname,
    });
    expect(problems).toEqual([]);
  });

  it('answers API misuse with JSON errors', async () => {
    const notFound = await fetch(new URL('/api/nothing', dashboard.url));
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ error: 'no route for GET /api/nothing' });
    const bad = await fetch(new URL('/api/calls/c1/transfer', dashboard.url), {
      method: 'POST',
      body: '[1]',
    });
    expect(bad.status).toBe(400);
    const noPcap = await fetch(new URL('/api/calls/zz/pcap', dashboard.url));
    expect(noPcap.status).toBe(404);
  });
});
