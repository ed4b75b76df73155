import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import { MediaError, MediaErrorCode } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { createRtpEngineController, type RtpEngineController } from './rtpengine-controller.js';

/** The command that installs rtpengine on a development machine or CI runner. */
export const RTPENGINE_SETUP_COMMAND = 'bash scripts/setup.sh';

/** Default location of the Debian `rtpengine-daemon` binary. */
export const DEFAULT_RTPENGINE_BINARY = '/usr/bin/rtpengine';

/** Options for {@link startRtpEngine}. */
export interface RtpEngineSupervisorOptions {
  /** Binary path (default `$RTPENGINE_BIN` or `/usr/bin/rtpengine`). */
  readonly binary?: string | undefined;
  /** ng control port (default: a free UDP port found by probing). */
  readonly ngPort?: number | undefined;
  /** First media port (default: a random block below the ephemeral range, see `portCount`). */
  readonly portMin?: number | undefined;
  /** Last media port. */
  readonly portMax?: number | undefined;
  /** Size of the random media port block when `portMin`/`portMax` are not given (default 2000). */
  readonly portCount?: number | undefined;
  /** Media interface address (default `127.0.0.1`). */
  readonly interface?: string | undefined;
  /** ng listen address (default: the interface address). */
  readonly ngHost?: string | undefined;
  /** `--delete-delay` in seconds (rtpengine default 30; tests use 0). */
  readonly deleteDelay?: number | undefined;
  /** `--num-threads` (default rtpengine's choice). */
  readonly numThreads?: number | undefined;
  /** `--log-level` (default 5, notice). */
  readonly logLevel?: number | undefined;
  /** Extra command-line flags. */
  readonly extraArgs?: readonly string[] | undefined;
  /** How long to wait for the first ng pong (default 10 000 ms). */
  readonly readyTimeoutMs?: number | undefined;
  /** Restart automatically after a crash (default `false`). */
  readonly autoRestart?: boolean | undefined;
  /** Receives rtpengine's stderr lines and lifecycle messages (default silent). */
  readonly logger?: Logger | undefined;
}

/** Lifecycle state of the supervised process. */
export type RtpEngineState = 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed';

/** Events of {@link RtpEngineSupervisor}. */
export interface RtpEngineSupervisorEvents {
  /** rtpengine answered ping. */
  ready: [info: { readonly pid: number }];
  /** rtpengine exited without being stopped. */
  crash: [error: MediaError];
  /** The process exited (for any reason). */
  exit: [info: { readonly code: number | null; readonly signal: NodeJS.Signals | null }];
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAll(): void {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * rtpengine runs with `--foreground` but is not tied to our lifetime by the kernel: kill it when
 * Node exits, and on SIGINT/SIGTERM (re-raising the signal when nobody else handles it, so the
 * default behaviour, exiting, is kept).
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** Finds a free UDP port on `host` by binding port 0 (closed again before returning). */
export async function findFreeUdpPort(host = '127.0.0.1'): Promise<number> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  return new Promise<number>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

function lineLevel(line: string): 'error' | 'warn' | 'debug' {
  if (/\b(ERR|CRIT|ALERT|EMERG)\b/.test(line)) return 'error';
  if (/\bWARNING\b|\bWARN\b/.test(line)) return 'warn';
  return 'debug';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A supervised local rtpengine (userspace only, loopback by default). Start it with
 * {@link startRtpEngine}; {@link RtpEngineSupervisor.stop} it when done (it is also killed when
 * the Node process exits).
 */
export class RtpEngineSupervisor extends EventEmitter<RtpEngineSupervisorEvents> {
  /** The binary being run. */
  readonly binary: string;
  /** ng control port. */
  readonly ngPort: number;
  /** ng address. */
  readonly ngHost: string;
  /** Media port range start. */
  readonly portMin: number;
  /** Media port range end. */
  readonly portMax: number;
  /** Media interface. */
  readonly interfaceAddress: string;
  private readonly options: RtpEngineSupervisorOptions;
  private readonly logger: Logger;
  private child: ChildProcess | undefined;
  private stateValue: RtpEngineState = 'stopped';
  private exitPromise: Promise<void> | undefined;
  private restarts = 0;

  /** @internal Use {@link startRtpEngine}. */
  constructor(
    binary: string,
    ports: { ngPort: number; portMin: number; portMax: number },
    options: RtpEngineSupervisorOptions,
  ) {
    super();
    this.binary = binary;
    this.ngPort = ports.ngPort;
    this.portMin = ports.portMin;
    this.portMax = ports.portMax;
    this.interfaceAddress = options.interface ?? '127.0.0.1';
    this.ngHost = options.ngHost ?? this.interfaceAddress;
    this.options = options;
    this.logger = options.logger ?? silentLogger;
  }

  /** The command-line arguments (documented flags; `--config-file=none` keeps /etc out of it). */
  get args(): string[] {
    const o = this.options;
    const args = [
      '--config-file=none',
      '--foreground',
      '--log-stderr',
      '--table=-1',
      '--no-fallback',
      `--interface=${this.interfaceAddress}`,
      `--listen-ng=${this.ngHost.includes(':') ? `[${this.ngHost}]` : this.ngHost}:${this.ngPort}`,
      `--port-min=${this.portMin}`,
      `--port-max=${this.portMax}`,
      `--log-level=${o.logLevel ?? 5}`,
    ];
    if (o.deleteDelay !== undefined) args.push(`--delete-delay=${o.deleteDelay}`);
    if (o.numThreads !== undefined) args.push(`--num-threads=${o.numThreads}`);
    args.push(...(o.extraArgs ?? []));
    return args;
  }

  /** Current state. */
  get state(): RtpEngineState {
    return this.stateValue;
  }

  /** PID of the running process, if any. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How many times the process was restarted. */
  get restartCount(): number {
    return this.restarts;
  }

  /** A new controller for this rtpengine (close it when done). */
  controller(
    options: { readonly timeoutMs?: number | undefined; readonly logger?: Logger | undefined } = {},
  ): Promise<RtpEngineController> {
    return createRtpEngineController({
      host: this.ngHost,
      port: this.ngPort,
      localAddress: this.ngHost,
      logger: options.logger ?? this.logger,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  }

  /**
   * Spawns the process and waits until it answers ng ping (retrying: a ping sent before it binds
   * is lost).
   *
   * @throws {@link MediaError} `RTPENGINE_START_FAILED` when it exits or stays silent.
   */
  async start(): Promise<void> {
    if (this.child) throw new MediaError(MediaErrorCode.INVALID_ARGUMENT, 'rtpengine is already running');
    this.stateValue = 'starting';
    const child = spawn(this.binary, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(child);
    installExitHook();
    const forward = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        const text = line.trim();
        if (text.length > 0)
          this.logger[lineLevel(text)]({ rtpengine: this.ngPort, line: text }, 'rtpengine');
      }
    };
    child.stderr?.on('data', forward);
    child.stdout?.on('data', forward);
    let spawnError: Error | undefined;
    child.on('error', (err) => {
      spawnError = err;
      this.logger.error({ err }, 'rtpengine spawn error');
    });
    this.exitPromise = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        if (this.child === child) this.child = undefined;
        const previous = this.stateValue;
        this.stateValue = previous === 'stopping' ? 'stopped' : 'crashed';
        this.emit('exit', { code, signal });
        if (previous === 'running') {
          const error = new MediaError(
            MediaErrorCode.RTPENGINE_CRASHED,
            `rtpengine (ng ${this.ngPort}) exited unexpectedly (code ${code}, signal ${signal})`,
            { detail: { code, signal, ngPort: this.ngPort } },
          );
          this.logger.error({ code, signal }, 'rtpengine crashed');
          this.emit('crash', error);
          if (this.options.autoRestart) {
            void this.restart().catch((err: unknown) =>
              this.logger.error({ err }, 'rtpengine restart failed'),
            );
          }
        }
        resolve();
      });
    });
    const controller = await createRtpEngineController({
      host: this.ngHost,
      port: this.ngPort,
      localAddress: this.ngHost,
      timeoutMs: 250,
    });
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 10_000);
    try {
      for (;;) {
        if (spawnError || this.child !== child) {
          throw new MediaError(
            MediaErrorCode.RTPENGINE_START_FAILED,
            `rtpengine exited during start-up (flags: ${this.args.join(' ')})${spawnError ? `: ${spawnError.message}` : ''}`,
            { cause: spawnError },
          );
        }
        try {
          await controller.ping();
          break;
        } catch {
          if (Date.now() > deadline) {
            throw new MediaError(
              MediaErrorCode.RTPENGINE_START_FAILED,
              `rtpengine did not answer ng ping on ${this.ngHost}:${this.ngPort}`,
            );
          }
          await sleep(50);
        }
      }
    } catch (err) {
      controller.close();
      await this.stop();
      this.stateValue = 'stopped';
      throw err;
    }
    controller.close();
    this.stateValue = 'running';
    this.logger.info(
      { pid: child.pid, ngPort: this.ngPort, portMin: this.portMin, portMax: this.portMax },
      'rtpengine ready',
    );
    this.emit('ready', { pid: child.pid ?? 0 });
  }

  /** Stops the process (SIGTERM, then SIGKILL after 3 s). Idempotent. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) {
      if (this.stateValue !== 'crashed') this.stateValue = 'stopped';
      return;
    }
    this.stateValue = 'stopping';
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await this.exitPromise;
    clearTimeout(killer);
  }

  /** Sends a signal to the process (fault injection; `SIGKILL` simulates a crash). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): boolean {
    return this.child?.kill(signal) ?? false;
  }

  /** Stops (if running) and starts again on the same ports. */
  async restart(): Promise<void> {
    await this.stop();
    this.restarts++;
    await this.start();
  }
}

async function resolveBinary(binary: string): Promise<string> {
  try {
    await access(binary, fsConstants.X_OK);
    return binary;
  } catch (cause) {
    throw new MediaError(
      MediaErrorCode.RTPENGINE_MISSING,
      `rtpengine is not installed at ${binary}: run \`${RTPENGINE_SETUP_COMMAND}\` (installs the Debian rtpengine-daemon package)`,
      { cause, detail: { binary } },
    );
  }
}

/**
 * Starts a supervised rtpengine and resolves once it answers ng ping. Ports default to a free
 * ng port and a random media block below the ephemeral range, so parallel test files do not
 * collide (rtpengine also skips ports already in use).
 *
 * @throws {@link MediaError} `RTPENGINE_MISSING` (names `bash scripts/setup.sh`) or `RTPENGINE_START_FAILED`.
 */
export async function startRtpEngine(options: RtpEngineSupervisorOptions = {}): Promise<RtpEngineSupervisor> {
  const binary = await resolveBinary(options.binary ?? process.env.RTPENGINE_BIN ?? DEFAULT_RTPENGINE_BINARY);
  const host = options.ngHost ?? options.interface ?? '127.0.0.1';
  const ngPort = options.ngPort ?? (await findFreeUdpPort(host));
  let portMin = options.portMin;
  let portMax = options.portMax;
  if (portMin === undefined || portMax === undefined) {
    const count = Math.max(20, options.portCount ?? 2000);
    // Blocks inside 10000-31999, below Linux's default ephemeral range (32768-60999).
    const blocks = Math.floor(22000 / count);
    const start = 10000 + randomInt(0, Math.max(1, blocks)) * count;
    portMin ??= start;
    portMax ??= Math.min(65535, portMin + count - 1);
  }
  const supervisor = new RtpEngineSupervisor(binary, { ngPort, portMin, portMax }, options);
  await supervisor.start();
  return supervisor;
}

/** `true` when the rtpengine binary exists and is executable. */
export async function isRtpEngineInstalled(
  binary: string = process.env.RTPENGINE_BIN ?? DEFAULT_RTPENGINE_BINARY,
): Promise<boolean> {
  try {
    await access(binary, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}
