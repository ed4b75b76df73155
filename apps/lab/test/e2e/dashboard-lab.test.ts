import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startLab, type Lab } from '../../src/lab.js';
import { browserUnavailable, launchChromium } from '../browser.js';

const unavailable = browserUnavailable();

describe.skipIf(unavailable !== undefined)('the dashboard driving the real lab in headless Chromium', () => {
  let lab: Lab;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    lab = await startLab({ sipPort: 0, httpPort: 0, media: 'rtpengine' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(lab.url);
    await page.getByText('customer +14155550100').waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await lab?.close();
  });

  it('calls the customer and transfers to the answering agent: ladder, state and what each party hears', async () => {
    await page.getByRole('button', { name: 'Call the customer' }).click();
    await page.getByText('Connected to the customer').waitFor({ timeout: 20_000 });
    await expect
      .poll(() => page.locator('#media-rows td[data-party="customer"]').textContent(), { timeout: 15_000 })
      .toBe('the agent (600 Hz)');

    await page.getByRole('button', { name: /Answering agent/ }).click();
    await page.getByText('Connected', { exact: true }).waitFor({ timeout: 30_000 });
    await expect
      .poll(() => page.locator('#media-rows td[data-party="customer"]').textContent(), { timeout: 15_000 })
      .toBe('the transfer target (800 Hz)');
    for (const label of ['INVITE', 'REFER', '202 Accepted (REFER)', 'NOTIFY', 'BYE']) {
      await page.locator('#ladder text', { hasText: label }).first().waitFor();
    }
    // The trunk hung up the endpoint's leg: a new call can start.
    await expect.poll(() => page.getByRole('button', { name: 'Call the customer' }).isEnabled()).toBe(true);
    await mkdir(new URL('../../test-results/', import.meta.url), { recursive: true });
    await page.screenshot({
      path: new URL('../../test-results/dashboard-lab.png', import.meta.url).pathname,
      fullPage: true,
    });
  });

  it('shows the 403 for a foreign-domain Refer-To and keeps the caller', async () => {
    await page.getByRole('button', { name: 'Call the customer' }).click();
    await page.getByText('Connected to the customer').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: /Foreign domain/ }).click();
    await page.getByText('Failed: 403 Forbidden, caller still with you').waitFor({ timeout: 20_000 });
    expect(await page.getByRole('button', { name: 'Hang up' }).isEnabled()).toBe(true);
    await page.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Call the customer' }).isEnabled()).toBe(true);
  });

  it('lists call records with a pcapng download', async () => {
    await expect.poll(() => page.locator('#record-rows tr').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    const href = await page.locator('#record-rows a').first().getAttribute('href');
    expect(href).toMatch(/\/pcap$/);
    const res = await fetch(new URL(href ?? '', lab.url));
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    // pcapng Section Header Block.
    expect([...bytes.subarray(0, 4)]).toEqual([0x0a, 0x0d, 0x0d, 0x0a]);
    expect(problems).toEqual([]);
  });
});
