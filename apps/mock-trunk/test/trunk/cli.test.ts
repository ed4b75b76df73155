import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { parseCli } from '../../src/config/config.js';
import { CUSTOMER, startRawEndpoint, startRawPhone } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function io(): {
  out: string[];
  err: string[];
  stdout: (t: string) => void;
  stderr: (t: string) => void;
  logger: pino.Logger;
} {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    logger: pino({ level: 'silent' }),
  };
}

describe('referkit-trunk flags', () => {
  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--listen', 'udp:127.0.0.1'], /--listen "udp:127.0.0.1": expected <udp\|tcp>:<host>:<port>/],
    [['--listen', 'sctp:127.0.0.1:5060'], /--listen/],
    [['--media', 'kurento'], /--media "kurento": expected rtpengine or none/],
    [['--route', '+1415'], /--route "\+1415": expected/],
    [['--route', '+14155550100=sip:+14155550100@example.com'], /not a SIP URI with a literal IP host/],
    [['--acl', '10.0.0.0/40'], /--acl "10.0.0.0\/40"/],
    [['--credentials', 'nopassword'], /--credentials "nopassword": expected <user>:<password>/],
    [['--geo', 'GBR'], /--geo "GBR"/],
    [['--ring-timeout', 'soon'], /--ring-timeout "soon"/],
    [['--trunk-number', '555'], /--trunk-number "555"/],
    [['--http', 'localhost'], /--http "localhost"/],
    [['--config', '/nonexistent/trunk.json'], /--config "\/nonexistent\/trunk.json": cannot read it/],
    [['stray'], /positional/i],
    [
      ['--media', 'none', '--rtpengine', '127.0.0.1:22222'],
      /--rtpengine 127.0.0.1:22222 needs --media rtpengine/,
    ],
    [['--media', 'none', '--transcode'], /--transcode needs --media rtpengine/],
    [['--phone', '4155550110=answer'], /--phone "4155550110=answer": expected <E.164>=<kind>/],
    [['--phone', '+14155550110=ring'], /--phone "\+14155550110=ring": kind must be one of answer, busy/],
    [['--phone', '+14155550110=answer,volume=11'], /unknown phone setting "volume"/],
    [['--phone', '+14155550110=answer,codecs=G729'], /codecs must be a non-empty list of 'PCMU' \/ 'PCMA'/],
    [['--phone', '+14155550110=answer,toneHz'], /"toneHz" is not <setting>=<value>/],
    [['--phone', '+14155550110=answer', '--no-phones'], /contradict each other/],
    [
      ['--credentials', 'a:b', '--digest-algorithms', 'SHA-1'],
      /--digest-algorithms "SHA-1": expected one or more of MD5/,
    ],
    [['--digest-algorithms', 'MD5'], /--digest-algorithms needs --credentials/],
    [['--sip-t1', '0'], /--sip-t1 "0": expected milliseconds > 0/],
    [['--keep-records', '0'], /--keep-records "0": expected a whole number of records > 0/],
    [['--keep-records', '1e3'], /--keep-records "1e3": expected a whole number/],
    [['--sip-t1', '20', '--drachtio', '127.0.0.1:9022:cymru'], /--sip-t1 does not apply with --drachtio/],
    [['--phones-host', 'phones.local'], /--phones-host "phones.local": expected a literal IP address/],
    [['--phones-host', '127.0.0.2', '--no-phones'], /--phones-host and --no-phones contradict/],
    [
      ['--listen', 'udp:127.0.0.1:0', '--media', 'none', '--no-phones', '--http', '0.0.0.0:0'],
      /refusing to serve the HTTP API on non-loopback address 0.0.0.0 without credentials/,
    ],
  ])('%j: one line on stderr, exit code 2', async (argv, message) => {
    const o = io();
    const result = await runCli(argv, o);
    expect(result.code).toBe(2);
    expect(o.err).toHaveLength(1);
    expect(o.err[0]).toMatch(message);
    expect(o.err[0]?.trim().split('\n')).toHaveLength(1);
  });

  it('an --rtpengine that does not answer: one line naming the fix, exit code 1', async () => {
    const o = io();
    const argv = ['--listen', 'udp:127.0.0.1:0', '--no-phones', '--rtpengine', '127.0.0.1:9'];
    const result = await runCli(argv, o);
    expect(result.code).toBe(1);
    expect(o.err).toHaveLength(1);
    expect(o.err[0]).toMatch(/rtpengine at 127.0.0.1:9 does not answer ping .*: start it/);
  });

  it('--phone and phones in --config add phones to the default ones, or replace them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trunk-cli-'));
    cleanups.push(() => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    });
    const file = join(dir, 'trunk.json');
    writeFileSync(file, JSON.stringify({ phones: { '+14155550101': { kind: 'busy', rejectStatus: 480 } } }));
    const { options } = parseCli([
      '--config',
      file,
      '--phone',
      '+14155550110=hangup-after,hangupAfterMs=2000,toneHz=700,codecs=PCMA',
      '--phone',
      '+14155550111=answer,codecs=PCMA+PCMU',
    ]);
    expect(options.phones).toMatchObject({
      '+14155550100': { kind: 'answer', toneHz: 1000 },
      '+14155550101': { kind: 'busy', rejectStatus: 480 },
      '+14155550110': { kind: 'hangup-after', hangupAfterMs: 2000, toneHz: 700, codecs: ['PCMA'] },
      '+14155550111': { kind: 'answer', codecs: ['PCMA', 'PCMU'] },
    });
    writeFileSync(file, JSON.stringify({ phones: { '4155550110': { kind: 'answer' } } }));
    expect(() => parseCli(['--config', file])).toThrow(/phone "4155550110": the number must be E.164/);
    writeFileSync(file, JSON.stringify({ phones: { '+14155550110': { kind: 'answer', toneHz: -1 } } }));
    expect(() => parseCli(['--config', file])).toThrow(/toneHz -1 is outside/);
    expect(parseCli([]).options.phones).toBeUndefined(); // the defaults
  });

  it('--help prints the flags and exits 0', async () => {
    const o = io();
    expect((await runCli(['--help'], o)).code).toBe(0);
    expect(o.out.join('')).toContain('--route <E.164|prefix>=<target>');
  });

  it('--config supplies every setting and flags win', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trunk-cli-'));
    cleanups.push(() => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    });
    const file = join(dir, 'trunk.json');
    writeFileSync(
      file,
      JSON.stringify({
        listen: ['tcp:127.0.0.1:0'],
        domain: 'abc.zt.plivo.com',
        routes: { '+1415': 'status:486' },
        acl: ['10.0.0.0/8'],
        credentials: 'agent:pw',
        geo: ['GB'],
        media: 'none',
        ringTimeoutMs: 1000,
        phones: false,
      }),
    );
    const config = parseCli([
      '--config',
      file,
      '--domain',
      'xyz.zt.plivo.com',
      '--route',
      '+1650=status:503',
    ]);
    expect(config.options).toMatchObject({
      listen: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }],
      domain: 'xyz.zt.plivo.com',
      routes: { '+1415': 'status:486', '+1650': 'status:503' },
      acl: ['10.0.0.0/8'],
      credentials: { user: 'agent', password: 'pw' },
      geo: ['GB'],
      media: 'none',
      ringTimeoutMs: 1000,
      phones: false,
    });
    expect(
      parseCli(['--config', file, '--digest-algorithms', 'md5,sha-256', '--digest-algorithms', 'sha-512-256'])
        .options,
    ).toMatchObject({ digestAlgorithms: ['MD5', 'SHA-256', 'SHA-512-256'] });
    writeFileSync(
      file,
      JSON.stringify({ credentials: 'a:b', digestAlgorithms: ['MD5'], phonesHost: '127.0.0.3' }),
    );
    expect(parseCli(['--config', file]).options).toMatchObject({
      digestAlgorithms: ['MD5'],
      phonesHost: '127.0.0.3',
    });
    expect(parseCli(['--sip-t1', '20']).options.sipTimers).toEqual({ t1: 20 });
    writeFileSync(file, JSON.stringify({ sipT1Ms: -5 }));
    expect(() => parseCli(['--config', file])).toThrow(/"sipT1Ms" must be a number of milliseconds > 0/);
    writeFileSync(file, JSON.stringify({ keepRecords: 2.5 }));
    expect(() => parseCli(['--config', file])).toThrow(/"keepRecords" must be a whole number > 0/);
    writeFileSync(file, JSON.stringify({ keepRecords: 50 }));
    expect(parseCli(['--config', file]).options.keepRecords).toBe(50);
    expect(parseCli(['--config', file, '--keep-records', '7']).options.keepRecords).toBe(7);
    writeFileSync(file, JSON.stringify({ credentials: 'a:b', digestAlgorithms: 'MD5' }));
    expect(() => parseCli(['--config', file])).toThrow(/"digestAlgorithms" must be an array of strings/);
    writeFileSync(file, JSON.stringify({ listn: [] }));
    expect(() => parseCli(['--config', file])).toThrow(/unknown key "listn"/);
  });

  it('starts a trunk, prints where it listens, and serves calls', async () => {
    const customer = await startRawPhone();
    cleanups.push(() => customer.close());
    const o = io();
    const result = await runCli(
      [
        '--listen',
        'udp:127.0.0.1:0',
        '--listen',
        'tcp:127.0.0.1:0',
        '--media',
        'none',
        '--no-phones',
        '--route',
        `${CUSTOMER}=${customer.uri(CUSTOMER)}`,
      ],
      o,
    );
    const trunk = result.trunk;
    if (!trunk) throw new Error(o.err.join(''));
    cleanups.push(() => trunk.close());
    expect(o.out.join('')).toMatch(
      /^referkit-trunk listening on udp:127\.0\.0\.1:\d+, tcp:127\.0\.0\.1:\d+; domain lab\.zt\.plivo\.com/,
    );
    const endpoint = await startRawEndpoint(trunk, { transport: 'tcp' });
    cleanups.push(() => endpoint.close());
    expect(await endpoint.call(CUSTOMER)).toBe(200);
    expect(await endpoint.hangUp()).toBe(200);
  });
});
