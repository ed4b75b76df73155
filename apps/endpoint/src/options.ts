import { parseArgs } from 'node:util';

/** What the endpoint plays into the call: a sine tone or an 8 kHz mono PCM16 WAV file. */
export type AudioSpec =
  { readonly kind: 'tone'; readonly hz: number } | { readonly kind: 'wav'; readonly path: string };

/** A host and port, such as the trunk's signalling address. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** When the endpoint sends the REFER. */
export type TransferTrigger =
  { readonly kind: 'after'; readonly ms: number } | { readonly kind: 'dtmf'; readonly digit: string };

/** Settings shared by `call` and `serve`: how to reach the trunk and what to play. */
export interface EndpointSettings {
  readonly trunk: HostPort;
  readonly domain: string;
  readonly transport: 'udp' | 'tcp';
  readonly local: HostPort;
  readonly contactHost?: string;
  readonly credentials?: { readonly username: string; readonly password: string };
  readonly audio: AudioSpec;
  readonly holdAudio?: AudioSpec;
  readonly hangup: 'after-notify' | 'wait-for-bye';
  /** Per-target time budget for the final NOTIFY in ms (default 32 s). */
  readonly notifyTimeoutMs?: number;
}

/** `referkit-endpoint call <E.164> ...`: one outbound call, optionally transferred. */
export interface CallCommand extends EndpointSettings {
  readonly command: 'call';
  readonly number: string;
  readonly transfer?: {
    readonly to: string;
    readonly fallbacks: readonly string[];
    readonly trigger: TransferTrigger;
  };
  readonly json: boolean;
}

/** `referkit-endpoint serve --http <host:port> ...`: a long-running endpoint with an HTTP API. */
export interface ServeCommand extends EndpointSettings {
  readonly command: 'serve';
  readonly http: HostPort;
  readonly json: boolean;
}

/** `referkit-endpoint help`. */
export interface HelpCommand {
  readonly command: 'help';
}

/** A parsed command line. */
export type EndpointCommand = CallCommand | ServeCommand | HelpCommand;

/** A command line that cannot be run; the CLI prints `message` and exits with status 2. */
export interface UsageError {
  readonly code: 'USAGE';
  readonly message: string;
}

/** The result of {@link parseCommandLine}. */
export type ParseResult =
  { readonly ok: true; readonly value: EndpointCommand } | { readonly ok: false; readonly error: UsageError };

/** Usage text printed by `referkit-endpoint help` and after a usage error. */
export const USAGE = `Usage:
  referkit-endpoint call <E.164> --trunk <host:port> --domain <termination domain> [options]
  referkit-endpoint serve --http <host:port> --trunk <host:port> --domain <termination domain> [options]

Options:
  --transport udp|tcp          signalling transport (default udp)
  --local <host:port>          local SIP address to bind (default 127.0.0.1:0)
  --contact-host <host>        public host to advertise in Contact (behind NAT)
  --username <u> --password <p>  digest credentials for the trunk
  --transfer-to <E.164>        transfer the answered call to this number
  --fallback <E.164>           try this number if the transfer fails (repeatable)
  --transfer-after <duration>  send the REFER this long after answer (default 2s), e.g. 1500ms, 3s
  --transfer-on-dtmf <digit>   send the REFER when the customer presses this key
  --audio tone:<hz>|<file.wav> what the endpoint plays (default tone:600)
  --hold-audio tone:<hz>|<file.wav>  played to the customer once the REFER is sent
  --hangup after-notify|wait-for-bye  hang up after NOTIFY 200, or wait for the trunk's BYE (default)
  --notify-timeout <duration>  how long to wait for the final NOTIFY per target (default 32s)
  --json                       one JSON event per line instead of a progress line
`;

const E164 = /^\+[1-9]\d{7,14}$/;

/** Parses `1500ms`, `2s`, `1.5s`, `1m` or a bare number of milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = match[2] ?? 'ms';
  const ms = unit === 'ms' ? value : unit === 's' ? value * 1000 : value * 60_000;
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** Parses `host:port` or `[v6]:port`; `defaultPort` applies when the port is left out. */
export function parseHostPort(text: string, defaultPort?: number): HostPort | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+))(?::(\d{1,5}))?$/.exec(text.trim());
  if (!match) return undefined;
  const host = match[1] ?? match[2];
  const port = match[3] === undefined ? defaultPort : Number(match[3]);
  if (host === undefined || port === undefined || port > 65535) return undefined;
  return { host, port };
}

/** Parses `tone:<hz>` or a path ending in `.wav`. */
export function parseAudioSpec(text: string): AudioSpec | undefined {
  const tone = /^tone:(\d+(?:\.\d+)?)$/.exec(text);
  if (tone) {
    const hz = Number(tone[1]);
    return hz > 0 && hz < 4000 ? { kind: 'tone', hz } : undefined;
  }
  return /\.wav$/i.test(text) ? { kind: 'wav', path: text } : undefined;
}

const usage = (message: string): ParseResult => ({ ok: false, error: { code: 'USAGE', message } });

/**
 * Parses the endpoint's command line (without `node` and the script path). Never throws: an unknown
 * flag or a bad value gives a {@link UsageError} whose message names the flag and what it expects.
 */
export function parseCommandLine(argv: readonly string[]): ParseResult {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        trunk: { type: 'string' },
        domain: { type: 'string' },
        transport: { type: 'string', default: 'udp' },
        local: { type: 'string', default: '127.0.0.1:0' },
        'contact-host': { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        'transfer-to': { type: 'string' },
        fallback: { type: 'string', multiple: true, default: [] },
        'transfer-after': { type: 'string' },
        'transfer-on-dtmf': { type: 'string' },
        audio: { type: 'string', default: 'tone:600' },
        'hold-audio': { type: 'string' },
        hangup: { type: 'string', default: 'wait-for-bye' },
        'notify-timeout': { type: 'string' },
        http: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values: v, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (v.help || command === 'help' || command === undefined) return { ok: true, value: { command: 'help' } };
  if (command !== 'call' && command !== 'serve')
    return usage(`unknown command "${command}": use call, serve or help`);

  if (v.trunk === undefined) return usage('--trunk <host:port> is required');
  const trunk = parseHostPort(v.trunk, 5060);
  if (!trunk) return usage(`--trunk expects <host:port>, got "${v.trunk}"`);
  if (v.domain === undefined || !/^[A-Za-z0-9.-]+$/.test(v.domain)) {
    return usage('--domain <termination domain> is required, e.g. --domain lab.zt.plivo.com');
  }
  if (v.transport !== 'udp' && v.transport !== 'tcp')
    return usage(`--transport expects udp or tcp, got "${v.transport}"`);
  const local = parseHostPort(v.local, 0);
  if (!local) return usage(`--local expects <host:port>, got "${v.local}"`);
  if ((v.username === undefined) !== (v.password === undefined)) {
    return usage('--username and --password go together');
  }
  const audio = parseAudioSpec(v.audio);
  if (!audio) return usage(`--audio expects tone:<hz> or a .wav file, got "${v.audio}"`);
  const holdAudio = v['hold-audio'] === undefined ? undefined : parseAudioSpec(v['hold-audio']);
  if (v['hold-audio'] !== undefined && !holdAudio) {
    return usage(`--hold-audio expects tone:<hz> or a .wav file, got "${v['hold-audio']}"`);
  }
  if (v.hangup !== 'after-notify' && v.hangup !== 'wait-for-bye') {
    return usage(`--hangup expects after-notify or wait-for-bye, got "${v.hangup}"`);
  }
  const notifyTimeoutMs = v['notify-timeout'] === undefined ? undefined : parseDuration(v['notify-timeout']);
  if (v['notify-timeout'] !== undefined && (notifyTimeoutMs === undefined || notifyTimeoutMs <= 0)) {
    return usage(`--notify-timeout expects a duration such as 10s, got "${v['notify-timeout']}"`);
  }
  const settings: EndpointSettings = {
    trunk,
    domain: v.domain.toLowerCase(),
    transport: v.transport,
    local,
    audio,
    hangup: v.hangup,
    ...(v['contact-host'] === undefined ? {} : { contactHost: v['contact-host'] }),
    ...(v.username === undefined || v.password === undefined
      ? {}
      : { credentials: { username: v.username, password: v.password } }),
    ...(holdAudio ? { holdAudio } : {}),
    ...(notifyTimeoutMs === undefined ? {} : { notifyTimeoutMs }),
  };

  if (command === 'serve') {
    if (rest.length > 0) return usage(`serve takes no arguments, got "${rest.join(' ')}"`);
    const http = parseHostPort(v.http ?? '127.0.0.1:0');
    if (!http) return usage(`--http expects <host:port>, got "${v.http}"`);
    return { ok: true, value: { command: 'serve', http, json: v.json, ...settings } };
  }

  const [number, ...extra] = rest;
  if (number === undefined) return usage('call needs the number to dial, e.g. call +14155550100');
  if (extra.length > 0) return usage(`call takes one number, got "${rest.join(' ')}"`);
  if (!E164.test(number)) return usage(`"${number}" is not an E.164 number (+ then 8 to 15 digits)`);
  const fallbacks = v.fallback;
  for (const target of [v['transfer-to'], ...fallbacks]) {
    if (target !== undefined && !E164.test(target)) {
      return usage(`transfer target "${target}" is not an E.164 number (+ then 8 to 15 digits)`);
    }
  }
  if (v['transfer-to'] === undefined) {
    if (fallbacks.length > 0 || v['transfer-after'] !== undefined || v['transfer-on-dtmf'] !== undefined) {
      return usage('--fallback, --transfer-after and --transfer-on-dtmf need --transfer-to');
    }
    return { ok: true, value: { command: 'call', number, json: v.json, ...settings } };
  }
  if (v['transfer-after'] !== undefined && v['transfer-on-dtmf'] !== undefined) {
    return usage('use either --transfer-after or --transfer-on-dtmf, not both');
  }
  let trigger: TransferTrigger;
  if (v['transfer-on-dtmf'] !== undefined) {
    if (!/^[0-9*#A-D]$/.test(v['transfer-on-dtmf'])) {
      return usage(`--transfer-on-dtmf expects one of 0-9 * # A-D, got "${v['transfer-on-dtmf']}"`);
    }
    trigger = { kind: 'dtmf', digit: v['transfer-on-dtmf'] };
  } else {
    const ms = parseDuration(v['transfer-after'] ?? '2s');
    if (ms === undefined)
      return usage(`--transfer-after expects a duration such as 1500ms or 3s, got "${v['transfer-after']}"`);
    trigger = { kind: 'after', ms };
  }
  return {
    ok: true,
    value: {
      command: 'call',
      number,
      json: v.json,
      transfer: { to: v['transfer-to'], fallbacks, trigger },
      ...settings,
    },
  };
}
