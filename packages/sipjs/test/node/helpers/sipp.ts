import { spawn, spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as net from 'node:net';

/** SIPp as installed by scripts/setup.sh (Debian `sip-tester`). */
export const SIPP = process.env.SIPP_BIN ?? '/usr/bin/sipp';

/** True when a runnable SIPp is present. */
export function sippAvailable(): boolean {
  const r = spawnSync(SIPP, ['-v'], { encoding: 'utf8' });
  return r.error === undefined && /SIPp v/.test(`${r.stdout}${r.stderr}`);
}

/** Fails the run on CI when SIPp is missing (tests must not silently skip there). */
export function requireSippOnCi(available: boolean): void {
  if (!available && process.env.CI) {
    throw new Error('SIPp (/usr/bin/sipp) is missing: run `bash scripts/setup.sh` (installs sip-tester)');
  }
}

/** A port free on 127.0.0.1 for both UDP and TCP right now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const s = dgram.createSocket('udp4');
    const port = await new Promise<number>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, '127.0.0.1', () => resolve(s.address().port));
    });
    const tcpFree = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    await new Promise<void>((r) => s.close(() => r()));
    if (tcpFree) return port;
  }
}

/** The outcome of one SIPp run. */
export interface SippRun {
  /** Exit status (0: every call passed). */
  readonly done: Promise<{ code: number | null; output: string }>;
  /** Kills SIPp if it still runs. */
  kill(): void;
}

/** Starts SIPp bound to 127.0.0.1:`port` with `-nostdin`, `-m calls` and a global timeout. */
export function startSipp(options: {
  readonly args: readonly string[];
  readonly port: number;
  readonly transport?: 'udp' | 'tcp';
  readonly calls?: number;
  readonly timeoutSec?: number;
}): SippRun {
  const args = [
    ...options.args,
    '-i',
    '127.0.0.1',
    '-p',
    String(options.port),
    '-t',
    options.transport === 'tcp' ? 't1' : 'u1',
    '-m',
    String(options.calls ?? 1),
    '-timeout',
    `${options.timeoutSec ?? 30}s`,
    '-timeout_error',
    '-nostdin',
  ];
  const child = spawn(SIPP, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: '/tmp' });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<{ code: number | null; output: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, output }));
    child.on('error', (err) => resolve({ code: -1, output: `${output}${String(err)}` }));
  });
  return {
    done,
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** Resolves once something listens on `port` (UDP bound, or TCP accepting). */
export async function waitForPort(port: number, transport: 'udp' | 'tcp', timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const taken =
      transport === 'tcp'
        ? await new Promise<boolean>((resolve) => {
            const c = net.connect(port, '127.0.0.1');
            c.once('connect', () => {
              c.destroy();
              resolve(true);
            });
            c.once('error', () => resolve(false));
          })
        : await new Promise<boolean>((resolve) => {
            const s = dgram.createSocket('udp4');
            s.once('error', () => {
              s.close();
              resolve(true);
            });
            s.bind(port, '127.0.0.1', () => s.close(() => resolve(false)));
          });
    if (taken) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${transport} port ${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A UDP relay between one client and one server that drops datagrams a predicate picks (loss
 * injection without privileges). Returns its port.
 */
export async function startLossyUdpRelay(
  server: { host: string; port: number },
  drop: (text: string, from: 'client' | 'server') => boolean,
): Promise<{ port: number; dropped: string[]; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  let client: { address: string; port: number } | undefined;
  const dropped: string[] = [];
  socket.on('message', (msg, rinfo) => {
    const fromServer = rinfo.address === server.host && rinfo.port === server.port;
    const text = msg.toString('utf8');
    if (!fromServer) client = { address: rinfo.address, port: rinfo.port };
    if (drop(text, fromServer ? 'server' : 'client')) {
      dropped.push(text);
      return;
    }
    if (fromServer) {
      if (client) socket.send(msg, client.port, client.address);
    } else socket.send(msg, server.port, server.host);
  });
  return {
    port: socket.address().port,
    dropped,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
