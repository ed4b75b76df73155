import { readFileSync } from 'node:fs';
import pino from 'pino';
import type { Logger } from 'pino';
import { ConfigError, USAGE, parseCli } from './config/config.js';
import { HttpApiError } from './http/server.js';
import { TrunkConfigError, startMockTrunk } from './trunk/trunk.js';
import type { MockTrunk } from './trunk/types.js';

/** Where the CLI writes. */
export interface CliIo {
  /** Human output (the listening line, help). */
  readonly stdout: (text: string) => void;
  /** Error lines. */
  readonly stderr: (text: string) => void;
  /** Log sink (pino JSON lines); default stderr. */
  readonly logger?: Logger | undefined;
}

/** Result of {@link runCli}: an exit code now, or a running trunk. */
export type CliResult =
  | { readonly code: number; readonly trunk?: undefined }
  | { readonly code?: undefined; readonly trunk: MockTrunk };

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function describe(trunk: MockTrunk): string {
  const sip = trunk.addresses
    .map((a) => `${a.transport}:${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`)
    .join(', ');
  const parts = [`referkit-trunk listening on ${sip}`, `domain ${trunk.domain}`];
  if (trunk.phoneBank) parts.push(`phones ${trunk.phoneBank.numbers.join(' ')}`);
  if (trunk.rtpengine) parts.push(`rtpengine ${trunk.rtpengine.target.host}:${trunk.rtpengine.target.port}`);
  if (trunk.httpUrl !== undefined) parts.push(`http ${trunk.httpUrl}`);
  return `${parts.join('; ')}\n`;
}

/**
 * Runs `referkit-trunk` with `argv` (without the node and script paths): exit code 2 with one
 * line for a bad flag or value, 0 for `--help` / `--version`, 1 when the trunk cannot start;
 * otherwise the running trunk (the caller closes it on SIGINT / SIGTERM).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<CliResult> {
  let config;
  try {
    config = parseCli(argv);
  } catch (err) {
    io.stderr(`referkit-trunk: ${err instanceof Error ? err.message : String(err)} (see --help)\n`);
    return { code: 2 };
  }
  if (config.help) {
    io.stdout(USAGE);
    return { code: 0 };
  }
  if (config.version) {
    io.stdout(`${version()}\n`);
    return { code: 0 };
  }
  const logger = io.logger ?? pino({ level: config.logLevel, name: 'referkit-trunk' }, pino.destination(2));
  try {
    const trunk = await startMockTrunk({ ...config.options, logger });
    io.stdout(describe(trunk));
    return { trunk };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`referkit-trunk: ${message}\n`);
    const badValue =
      err instanceof TrunkConfigError ||
      err instanceof ConfigError ||
      (err instanceof HttpApiError && err.code !== 'LISTEN_FAILED');
    return { code: badValue ? 2 : 1 };
  }
}
