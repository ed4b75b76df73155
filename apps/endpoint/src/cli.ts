import { silentLogger, type Logger } from '@referkit/media';
import { TransferError, type TransferResult } from '@referkit/sipjs';
import { EndpointError, startEndpoint, type EndpointHandle, type EndpointOptions } from './endpoint.js';
import { EXIT, exitCodeForOutcome, progressText, type EndpointEvent } from './events.js';
import { serveEndpointHttp } from './http.js';
import {
  USAGE,
  parseCommandLine,
  type CallCommand,
  type EndpointSettings,
  type ServeCommand,
} from './options.js';

/** Where the CLI writes and how it learns about signals (a seam for tests and embedding). */
export interface CliIo {
  /** Progress line or JSON events. */
  readonly stdout: { write(text: string): unknown };
  /** Errors and usage. */
  readonly stderr: { write(text: string): unknown };
  /** Registers a handler for SIGINT/SIGTERM; returns the unregister function. */
  readonly onSignal?: ((handler: () => void) => () => void) | undefined;
  /** Logger for SIP and media diagnostics (default silent). */
  readonly logger?: Logger | undefined;
}

/** How long to wait for the trunk's BYE after a successful transfer before hanging up ourselves. */
const BYE_WAIT_MS = 32_000;

function endpointOptions(settings: EndpointSettings, logger: Logger): EndpointOptions {
  return {
    trunk: settings.trunk,
    domain: settings.domain,
    transport: settings.transport,
    local: settings.local,
    audio: settings.audio,
    hangup: settings.hangup,
    logger,
    ...(settings.contactHost === undefined ? {} : { contactHost: settings.contactHost }),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    ...(settings.holdAudio ? { holdAudio: settings.holdAudio } : {}),
    ...(settings.notifyTimeoutMs === undefined ? {} : { notifyTimeoutMs: settings.notifyTimeoutMs }),
  };
}

async function start(
  settings: EndpointSettings,
  io: CliIo,
  logger: Logger,
): Promise<EndpointHandle | undefined> {
  try {
    return await startEndpoint(endpointOptions(settings, logger));
  } catch (err) {
    io.stderr.write(`referkit-endpoint: cannot start: ${(err as Error).message}\n`);
    return undefined;
  }
}

function renderer(io: CliIo, json: boolean): { event(e: EndpointEvent): void; end(): void } {
  let open = false;
  return {
    event: (event) => {
      if (json) {
        io.stdout.write(`${JSON.stringify({ ...event, at: new Date().toISOString() })}\n`);
        return;
      }
      const text = progressText(event);
      if (text.length === 0) return;
      io.stdout.write(text);
      open = true;
    },
    end: () => {
      if (open) io.stdout.write('\n');
      open = false;
    },
  };
}

function sleep(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

async function runCall(command: CallCommand, io: CliIo, logger: Logger): Promise<number> {
  const out = renderer(io, command.json);
  const endpoint = await start(command, io, logger);
  if (!endpoint) return EXIT.error;
  endpoint.subscribe((event) => out.event(event));
  let interrupted = false;
  let callId: string | undefined;
  let transferring = false;
  const stopSignals = io.onSignal?.(() => {
    interrupted = true;
    if (callId !== undefined) void endpoint.hangup(callId, { force: true }).catch(() => undefined);
    void endpoint.close();
  });
  try {
    let onDigit: (digit: string) => void = () => undefined;
    const digitPressed = new Promise<void>((resolve) => {
      onDigit = (digit) => {
        if (command.transfer?.trigger.kind === 'dtmf' && digit === command.transfer.trigger.digit) resolve();
      };
    });
    let call;
    try {
      call = await endpoint.call(command.number, { onDtmf: (digit) => onDigit(digit) });
    } catch (err) {
      if (err instanceof EndpointError && err.code === 'NOT_ANSWERED') return EXIT.notAnswered;
      throw err;
    }
    callId = call.id;
    const spec = command.transfer;
    if (!spec) {
      await call.ended;
      return interrupted ? EXIT.cancelled : EXIT.ok;
    }
    const wait = spec.trigger.kind === 'after' ? sleep(spec.trigger.ms) : undefined;
    const trigger = wait ? wait.promise : digitPressed;
    const first = await Promise.race([
      trigger.then(() => 'go' as const),
      call.ended.then(() => 'ended' as const),
    ]);
    wait?.cancel();
    if (first === 'ended') return EXIT.cancelled;
    let result: TransferResult;
    transferring = true;
    try {
      result = await endpoint.transfer(call.id, spec.to, { fallbacks: spec.fallbacks });
    } catch (err) {
      if (err instanceof TransferError && err.code === 'INVALID_TARGET') {
        await endpoint.hangup(call.id).catch(() => undefined);
        return EXIT.rejected;
      }
      throw err;
    } finally {
      transferring = false;
    }
    if (result.kind === 'succeeded') {
      // The trunk hangs up our leg (or we did, with --hangup after-notify).
      const grace = sleep(BYE_WAIT_MS);
      const ended = await Promise.race([call.ended.then(() => true), grace.promise.then(() => false)]);
      grace.cancel();
      if (!ended) await endpoint.hangup(call.id).catch(() => undefined);
      return EXIT.ok;
    }
    if (result.kind === 'cancelled') return EXIT.cancelled;
    // The caller is still with us: end the call normally, then report why the transfer did not happen.
    if (endpoint.callState(call.id)?.ended === undefined) {
      await endpoint.hangup(call.id).catch((err: unknown) => logger.warn({ err }, 'hang-up failed'));
      await call.ended;
    }
    return exitCodeForOutcome(result.kind);
  } catch (err) {
    if (interrupted) return transferring ? EXIT.cancelled : EXIT.ok;
    out.end();
    io.stderr.write(`referkit-endpoint: ${(err as Error).message}\n`);
    return EXIT.error;
  } finally {
    stopSignals?.();
    out.end();
    await endpoint.close();
  }
}

async function runServe(command: ServeCommand, io: CliIo, logger: Logger): Promise<number> {
  const endpoint = await start(command, io, logger);
  if (!endpoint) return EXIT.error;
  let server;
  try {
    server = await serveEndpointHttp(endpoint, { host: command.http.host, port: command.http.port, logger });
  } catch (err) {
    await endpoint.close();
    io.stderr.write(
      `referkit-endpoint: cannot serve HTTP on ${command.http.host}:${command.http.port}: ${(err as Error).message}\n`,
    );
    return EXIT.error;
  }
  if (command.json) {
    io.stdout.write(`${JSON.stringify({ type: 'listening', url: server.url, contact: endpoint.contact })}\n`);
    endpoint.subscribe((event) =>
      io.stdout.write(`${JSON.stringify({ ...event, at: new Date().toISOString() })}\n`),
    );
  } else {
    io.stdout.write(`referkit-endpoint serving ${server.url} (SIP contact ${endpoint.contact})\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = io.onSignal?.(() => {
      stop?.();
      resolve();
    });
  });
  await server.close();
  await endpoint.close();
  return EXIT.ok;
}

/**
 * Runs `referkit-endpoint` with the given arguments (without `node` and the script) and resolves
 * with the exit status (see `EXIT`).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(argv);
  if (!parsed.ok) {
    io.stderr.write(`referkit-endpoint: ${parsed.error.message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const command = parsed.value;
  const logger = io.logger ?? silentLogger;
  switch (command.command) {
    case 'help':
      io.stdout.write(USAGE);
      return EXIT.ok;
    case 'call':
      return runCall(command, io, logger);
    case 'serve':
      return runServe(command, io, logger);
  }
}
