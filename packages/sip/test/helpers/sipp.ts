import { spawn, spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';

/** Path of SIPp as installed by scripts/setup.sh (Debian `sip-tester`). */
export const SIPP = process.env.SIPP_BIN ?? '/usr/bin/sipp';

/** True when a runnable SIPp is present. */
export function sippAvailable(): boolean {
  const r = spawnSync(SIPP, ['-v'], { encoding: 'utf8' });
  return r.error === undefined && /SIPp v/.test(`${r.stdout}${r.stderr}`);
}

/** Absolute path of a scenario kept in test/e2e/scenarios. */
export function scenario(name: string): string {
  return fileURLToPath(new URL(`../e2e/scenarios/${name}`, import.meta.url));
}

/** A UDP port (and the same TCP port) free on 127.0.0.1 right now. */
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

/** Result of one SIPp run. */
export interface SippResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A SIPp process started in the background. */
export interface SippProcess {
  readonly done: Promise<SippResult>;
  kill(): void;
}

/**
 * Starts SIPp with `-nostdin -m 1 -timeout` (so nothing hangs) bound to 127.0.0.1:`port`.
 * `remote` (host:port) is omitted for a UAS.
 */
export function startSipp(options: {
  readonly scenarioFile: string;
  readonly port: number;
  readonly remote?: string;
  readonly transport?: 'u1' | 't1';
  readonly timeoutSec?: number;
  readonly calls?: number;
  readonly extra?: readonly string[];
}): SippProcess {
  const args = [
    '-sf',
    options.scenarioFile,
    '-i',
    '127.0.0.1',
    '-p',
    String(options.port),
    '-t',
    options.transport ?? 'u1',
    '-m',
    String(options.calls ?? 1),
    '-timeout',
    `${options.timeoutSec ?? 30}s`,
    '-timeout_error',
    '-nostdin',
    ...(options.extra ?? []),
  ];
  if (options.remote !== undefined) args.push(options.remote);
  const child = spawn(SIPP, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: '/tmp' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<SippResult>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.on('error', (err) => resolve({ code: -1, stdout, stderr: `${stderr}${String(err)}` }));
  });
  return {
    done,
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** Resolves once something (SIPp) has bound UDP `port` on 127.0.0.1, polling every 20 ms, up to `timeoutMs`. */
export async function waitForUdpBound(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = dgram.createSocket('udp4');
    const free = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((r) => {
      if (free) s.close(() => r());
      else {
        try {
          s.close();
        } catch {
          // already closed by the failed bind
        }
        r();
      }
    });
    if (!free) return;
    if (Date.now() > deadline) throw new Error(`nothing bound UDP port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves once something (SIPp) accepts TCP connections on 127.0.0.1:`port`. */
export async function waitForTcpListening(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on TCP port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
