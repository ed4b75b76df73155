// `--drachtio` and the `drachtio` option: parsing, the --listen conflict (exit 2), and a real
// drachtio-srf (loaded lazily) failing cleanly when no drachtio-server answers (exit 1).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { parseCli } from '../../src/config/config.js';
import { TrunkConfigError, createDrachtioBackend, startMockTrunk } from '../../src/index.js';

function io(): {
  err: string[];
  stdout: (t: string) => void;
  stderr: (t: string) => void;
  logger: pino.Logger;
} {
  const err: string[] = [];
  return { err, stdout: () => undefined, stderr: (t) => err.push(t), logger: pino({ level: 'silent' }) };
}

/** A TCP port on loopback with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('--drachtio', () => {
  it('parses <host>:<port>:<secret> (the secret may hold colons) and drops the default --listen', () => {
    const { options } = parseCli(['--drachtio', '127.0.0.1:9022:cy:mru']);
    expect(options.drachtio).toEqual({ host: '127.0.0.1', port: 9022, secret: 'cy:mru' });
    expect(options.listen).toBeUndefined();
    expect(parseCli(['--drachtio', '[::1]:9022:s']).options.drachtio).toEqual({
      host: '::1',
      port: 9022,
      secret: 's',
    });
  });

  it('reads drachtio from --config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trunk-drachtio-'));
    try {
      const file = join(dir, 'trunk.json');
      writeFileSync(file, JSON.stringify({ drachtio: '10.0.0.5:9022:cymru' }));
      expect(parseCli(['--config', file]).options.drachtio).toEqual({
        host: '10.0.0.5',
        port: 9022,
        secret: 'cymru',
      });
      writeFileSync(file, JSON.stringify({ drachtio: 9022 }));
      expect(() => parseCli(['--config', file])).toThrow(/"drachtio" must be a string/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [['--drachtio', '127.0.0.1:9022'], /--drachtio "127.0.0.1:9022": expected <host>:<port>:<secret>/],
    [['--drachtio', '127.0.0.1:0:s'], /--drachtio/],
    [
      ['--drachtio', '127.0.0.1:9022:s', '--listen', 'udp:127.0.0.1:5060'],
      /--listen does not apply with --drachtio/,
    ],
  ])('%j exits 2', async (argv, message) => {
    const out = io();
    expect((await runCli(argv, out)).code).toBe(2);
    expect(out.err.join('')).toMatch(message);
  });

  it('the library refuses listen with drachtio, and drachtio with backend', async () => {
    const drachtio = { host: '127.0.0.1', port: 9022, secret: 's' };
    await expect(
      startMockTrunk({ media: 'none', phones: false, drachtio, listen: [{ transport: 'udp' }] }),
    ).rejects.toThrow(TrunkConfigError);
    await expect(
      startMockTrunk({
        media: 'none',
        phones: false,
        drachtio,
        backend: () => Promise.reject(new Error('unused')),
      }),
    ).rejects.toThrow(/drachtio and backend/);
  });

  it('with no drachtio-server there, drachtio-srf is loaded and the CLI exits 1 naming the fix', async () => {
    const port = await closedPort();
    const out = io();
    const result = await runCli(
      ['--drachtio', `127.0.0.1:${port}:cymru`, '--media', 'none', '--no-phones'],
      out,
    );
    expect(result.code).toBe(1);
    expect(out.err.join('')).toMatch(
      new RegExp(`cannot connect to drachtio-server at 127\\.0\\.0\\.1:${port}.*ECONNREFUSED.*start it`),
    );
  });

  it('a server that never completes the handshake times out', async () => {
    // Reads (and ignores) the authenticate message: the end of our socket then closes it.
    const server = net.createServer((c) => c.resume());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      await expect(
        createDrachtioBackend({ host: '127.0.0.1', port, secret: 's', connectTimeoutMs: 200 }),
      ).rejects.toThrow(/no answer within 200 ms/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
