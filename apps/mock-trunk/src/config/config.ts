import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { DIGEST_ALGORITHMS, normalizeDigestAlgorithm } from '@referkit/sip';
import { DEFAULT_PHONES, profileProblem } from '../phones/phone-bank.js';
import type { PhoneProfile } from '../phones/types.js';
import { parseCidr } from '../trunk/admission.js';
import { isE164Syntax } from '../trunk/uri.js';
import type { MockTrunkOptions, TrunkCredentials, TrunkListen } from '../trunk/types.js';

/** A flag or config value the CLI cannot use; the message names the fix. */
export class ConfigError extends Error {
  /**
   * @param message - one line naming the problem and the fix
   */
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Defaults of the CLI (the library's defaults differ: ephemeral ports, no HTTP). */
export const CLI_DEFAULT_LISTEN = 'udp:127.0.0.1:5060';

/**
 * The configuration file (`--config <file>`, JSON): the same names as the long flags, in
 * camelCase, with the same value formats. Flags given on the command line win; repeatable
 * flags replace the file's list.
 */
export interface TrunkConfigFile {
  /** e.g. `["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"]`. */
  readonly listen?: readonly string[];
  /** Termination domain. */
  readonly domain?: string;
  /** Number or prefix -> SIP URI or `status:<code>`. */
  readonly routes?: Readonly<Record<string, string>>;
  /** CIDRs. */
  readonly acl?: readonly string[];
  /** `user:password`. */
  readonly credentials?: string;
  /** ISO country codes enabled under Geo Permissions. */
  readonly geo?: readonly string[];
  /** Home country (default US). */
  readonly homeCountry?: string;
  /** `rtpengine` or `none`. */
  readonly media?: string;
  /** `host:port` of rtpengine's ng socket. */
  readonly rtpengine?: string;
  /** Let rtpengine transcode. */
  readonly transcode?: boolean;
  /** `host:port` of the HTTP API. */
  readonly http?: string;
  /** `user:password` for the HTTP API. */
  readonly httpCredentials?: string;
  /** Caller ID of transfer legs. */
  readonly trunkNumber?: string;
  /** Ring timeout of transfer targets, ms. */
  readonly ringTimeoutMs?: number;
  /** SIP timer T1, ms. */
  readonly sipT1Ms?: number;
  /** JSON-lines file of call records. */
  readonly records?: string;
  /** How many finished call records the trunk keeps in memory. */
  readonly keepRecords?: number;
  /** `false` starts no simulated phones; an object adds phones to (or replaces) the default ones, by number. */
  readonly phones?: boolean | Readonly<Record<string, PhoneProfile>>;
  /** pino level. */
  readonly logLevel?: string;
  /** `host:port:secret` of a drachtio-server to run the SIP on (then no `listen`). */
  readonly drachtio?: string;
  /** Digest algorithms the 407 challenge offers, preferred first, e.g. `["MD5"]`. */
  readonly digestAlgorithms?: readonly string[];
  /** Literal IP the simulated phones bind SIP and RTP to. */
  readonly phonesHost?: string;
}

/** What the CLI runs with. */
export interface CliConfig {
  /** Options for `startMockTrunk`. */
  readonly options: MockTrunkOptions;
  /** pino level. */
  readonly logLevel: string;
  /** `--help` was asked. */
  readonly help: boolean;
  /** `--version` was asked. */
  readonly version: boolean;
}

/** Usage text of `referkit-trunk`. */
export const USAGE = `Usage: referkit-trunk [flags]

A Plivo-faithful mock SIP trunk with REFER transfers, simulated phones and rtpengine media.

  --listen <udp|tcp>:<host>:<port>   SIP listen address (repeatable; default ${CLI_DEFAULT_LISTEN})
  --drachtio <host>:<port>:<secret>  run the SIP on this drachtio-server (its control port and secret)
                                     instead of the embedded engine; it listens on drachtio-server's
                                     SIP addresses, so not with --listen; needs drachtio-srf installed
  --domain <domain>                  termination domain (default lab.zt.plivo.com)
  --route <E.164|prefix>=<target>    route a number to sip:<user>@<ip>:<port> or status:<code> (repeatable)
  --acl <CIDR>                       admit this source range (repeatable; default 127.0.0.0/8 and ::1/128)
  --credentials <user>:<password>    digest credentials for sources outside the ACL (407 challenge)
  --digest-algorithms <A[,B...]>     algorithms the 407 offers, preferred first (default SHA-256,MD5;
                                     MD5 alone for SIPp and older UAs that answer only the first)
  --geo <CC[,CC...]>                 countries enabled under Geo Permissions besides the home country
  --home-country <CC>                the account's country (default US)
  --media <rtpengine|none>           anchor media in rtpengine (default) or signalling only
  --rtpengine <host>:<port>          use this rtpengine (default: start a local /usr/bin/rtpengine)
  --transcode                        let rtpengine transcode between legs with no common codec
  --http <host>:<port>               serve the HTTP API (loopback unless --http-credentials)
  --http-credentials <user>:<pass>   HTTP Basic credentials for the API
  --trunk-number <E.164>             caller ID of transfer legs (default +14155550199)
  --ring-timeout <ms>                how long a transfer target may ring (default 30000)
  --sip-t1 <ms>                      SIP timer T1 (default 500); a NOTIFY or BYE to a dead Contact gives
                                     up after 64 x T1, so tests use e.g. 20 (not with --drachtio)
  --records <file>                   append call records (JSON lines) here; reloaded at start
  --keep-records <n>                 finished call records kept in memory and served (default 10000);
                                     the records file keeps them all
  --phone <E.164>=<kind>[,<k>=<v>...] add or replace a simulated phone (repeatable), e.g.
                                     +14155550110=answer,codecs=PCMA,toneHz=700; kinds: answer, busy,
                                     no-answer, decline, unreachable, hangup-after; settings:
                                     answerAfterMs, hangupAfterMs, maxRingMs, toneHz, rejectStatus,
                                     codecs (PCMU+PCMA, PCMA...)
  --no-phones                        do not start the simulated phones
  --phones-host <ip>                 IP the simulated phones bind SIP and RTP to (default 127.0.0.1)
  --log-level <level>                pino level: fatal, error, warn, info, debug, trace, silent (default info)
  --config <file>                    JSON file with the same settings (flags win)
  --help, --version
`;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function hostPort(flag: string, value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65535)
    throw new ConfigError(`${flag} "${value}": expected <host>:<port>, e.g. 127.0.0.1:8080`);
  return { host: m[1] ?? m[2] ?? '', port };
}

/** A flag's milliseconds (a whole number > 0), or `undefined` when the flag is not given. */
function millis(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) <= 0)
    throw new ConfigError(`${flag} "${text}": expected milliseconds > 0`);
  return Number(text);
}

/** Parses `127.0.0.1:9022:cymru` (`[::1]:9022:secret`; the secret is everything after the port). */
export function parseDrachtio(value: string): { host: string; port: number; secret: string } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5}):(.+)$/.exec(value.trim());
  const port = Number(m?.[3]);
  if (!m || port < 1 || port > 65535) {
    throw new ConfigError(
      `--drachtio "${value}": expected <host>:<port>:<secret> of drachtio-server's control socket, e.g. 127.0.0.1:9022:cymru`,
    );
  }
  return { host: m[1] ?? m[2] ?? '', port, secret: m[4] ?? '' };
}

/** Parses `udp:127.0.0.1:5060`, `tcp:[::1]:5060`. */
export function parseListen(value: string): TrunkListen {
  const m = /^(udp|tcp):(.+)$/i.exec(value.trim());
  if (!m?.[2]) {
    throw new ConfigError(
      `--listen "${value}": expected <udp|tcp>:<host>:<port>, e.g. ${CLI_DEFAULT_LISTEN}`,
    );
  }
  let host: string;
  let port: number;
  try {
    ({ host, port } = hostPort('--listen', m[2]));
  } catch {
    throw new ConfigError(
      `--listen "${value}": expected <udp|tcp>:<host>:<port>, e.g. ${CLI_DEFAULT_LISTEN}`,
    );
  }
  return { transport: (m[1] ?? 'udp').toLowerCase() as 'udp' | 'tcp', host, port };
}

const PHONE_SETTINGS = [
  'kind',
  'answerAfterMs',
  'hangupAfterMs',
  'maxRingMs',
  'toneHz',
  'rejectStatus',
  'codecs',
];

function phoneProfile(where: string, raw: Record<string, unknown>): PhoneProfile {
  for (const key of Object.keys(raw)) {
    if (!PHONE_SETTINGS.includes(key))
      throw new ConfigError(
        `${where}: unknown phone setting "${key}" (expected ${PHONE_SETTINGS.join(', ')})`,
      );
  }
  const problem = profileProblem(raw as unknown as PhoneProfile);
  if (problem !== undefined) throw new ConfigError(`${where}: ${problem}`);
  return raw as unknown as PhoneProfile;
}

/** Parses `+14155550110=answer,codecs=PCMA,toneHz=700`. */
function parsePhone(value: string): [string, PhoneProfile] {
  const eq = value.indexOf('=');
  const number = value.slice(0, Math.max(0, eq));
  if (!isE164Syntax(number)) {
    throw new ConfigError(
      `--phone "${value}": expected <E.164>=<kind>[,<setting>=<value>...], e.g. +14155550110=answer,codecs=PCMA`,
    );
  }
  const [kind, ...settings] = value.slice(eq + 1).split(',');
  const raw: Record<string, unknown> = { kind };
  for (const setting of settings) {
    const [key = '', text] = setting.split('=', 2);
    if (text === undefined || key === '')
      throw new ConfigError(`--phone "${value}": "${setting}" is not <setting>=<value>`);
    raw[key] = key === 'codecs' ? text.split('+') : /^\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  }
  return [number, phoneProfile(`--phone "${value}"`, raw)];
}

function credentials(flag: string, value: string): TrunkCredentials {
  const colon = value.indexOf(':');
  if (colon <= 0 || colon === value.length - 1) {
    throw new ConfigError(`${flag} "${value}": expected <user>:<password>`);
  }
  return { user: value.slice(0, colon), password: value.slice(colon + 1) };
}

function parseRoute(value: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0) {
    throw new ConfigError(
      `--route "${value}": expected <E.164 or prefix>=<sip URI or status:<code>>, e.g. +14155550100=sip:+14155550100@127.0.0.1:5080`,
    );
  }
  return [value.slice(0, eq).trim(), value.slice(eq + 1).trim()];
}

function countries(values: readonly string[]): string[] {
  const out = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim().toUpperCase())
    .filter((v) => v !== '');
  for (const c of out)
    if (!/^[A-Z]{2}$/.test(c))
      throw new ConfigError(`--geo "${c}": expected ISO 3166 alpha-2 codes, e.g. GB,DE`);
  return out;
}

function readConfigFile(file: string): TrunkConfigFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `--config "${file}": cannot read it (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      `--config "${file}": not valid JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`--config "${file}": expected a JSON object`);
  }
  const known = new Set([
    'listen',
    'domain',
    'routes',
    'acl',
    'credentials',
    'geo',
    'homeCountry',
    'media',
    'rtpengine',
    'transcode',
    'http',
    'httpCredentials',
    'trunkNumber',
    'ringTimeoutMs',
    'sipT1Ms',
    'records',
    'keepRecords',
    'phones',
    'logLevel',
    'drachtio',
    'digestAlgorithms',
    'phonesHost',
  ]);
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw new ConfigError(`--config "${file}": unknown key "${key}"`);
  }
  const v = value as Record<string, unknown>;
  const strings = (key: string): void => {
    if (
      v[key] !== undefined &&
      (!Array.isArray(v[key]) || !(v[key] as unknown[]).every((x) => typeof x === 'string'))
    ) {
      throw new ConfigError(`--config "${file}": "${key}" must be an array of strings`);
    }
  };
  strings('listen');
  strings('acl');
  strings('geo');
  strings('digestAlgorithms');
  for (const key of [
    'domain',
    'credentials',
    'homeCountry',
    'media',
    'rtpengine',
    'http',
    'httpCredentials',
    'trunkNumber',
    'records',
    'logLevel',
    'drachtio',
    'phonesHost',
  ]) {
    if (v[key] !== undefined && typeof v[key] !== 'string')
      throw new ConfigError(`--config "${file}": "${key}" must be a string`);
  }
  if (v.transcode !== undefined && typeof v.transcode !== 'boolean')
    throw new ConfigError(`--config "${file}": "transcode" must be true or false`);
  if (v.phones !== undefined && typeof v.phones !== 'boolean') {
    const phones = v.phones;
    if (typeof phones !== 'object' || phones === null || Array.isArray(phones))
      throw new ConfigError(
        `--config "${file}": "phones" must be true, false or an object of phones by number`,
      );
    for (const [number, profile] of Object.entries(phones as Record<string, unknown>)) {
      const where = `--config "${file}": phone "${number}"`;
      if (!isE164Syntax(number)) throw new ConfigError(`${where}: the number must be E.164`);
      if (typeof profile !== 'object' || profile === null || Array.isArray(profile))
        throw new ConfigError(`${where}: expected an object such as { "kind": "answer" }`);
      phoneProfile(where, profile as Record<string, unknown>);
    }
  }
  if (v.keepRecords !== undefined && !(Number.isInteger(v.keepRecords) && (v.keepRecords as number) > 0))
    throw new ConfigError(`--config "${file}": "keepRecords" must be a whole number > 0`);
  for (const key of ['ringTimeoutMs', 'sipT1Ms']) {
    if (v[key] !== undefined && (typeof v[key] !== 'number' || !(v[key] > 0)))
      throw new ConfigError(`--config "${file}": "${key}" must be a number of milliseconds > 0`);
  }
  if (v.routes !== undefined) {
    const routes = v.routes;
    if (
      typeof routes !== 'object' ||
      routes === null ||
      Array.isArray(routes) ||
      !Object.values(routes).every((x) => typeof x === 'string')
    ) {
      throw new ConfigError(`--config "${file}": "routes" must map numbers to strings`);
    }
  }
  return v;
}

/**
 * Parses `referkit-trunk`'s arguments (strict: unknown flags are errors) and the `--config`
 * file into `startMockTrunk` options.
 *
 * @throws {@link ConfigError} naming the bad flag or value.
 */
export function parseCli(argv: readonly string[]): CliConfig {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: 'string', multiple: true },
        drachtio: { type: 'string' },
        domain: { type: 'string' },
        route: { type: 'string', multiple: true },
        acl: { type: 'string', multiple: true },
        credentials: { type: 'string' },
        geo: { type: 'string', multiple: true },
        'home-country': { type: 'string' },
        media: { type: 'string' },
        rtpengine: { type: 'string' },
        transcode: { type: 'boolean' },
        http: { type: 'string' },
        'http-credentials': { type: 'string' },
        'trunk-number': { type: 'string' },
        'ring-timeout': { type: 'string' },
        'sip-t1': { type: 'string' },
        records: { type: 'string' },
        'keep-records': { type: 'string' },
        'no-phones': { type: 'boolean' },
        'phones-host': { type: 'string' },
        'digest-algorithms': { type: 'string', multiple: true },
        phone: { type: 'string', multiple: true },
        'log-level': { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new ConfigError(err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err));
  }
  const f = parsed.values;
  const file: TrunkConfigFile = f.config === undefined ? {} : readConfigFile(f.config);

  const drachtioText = f.drachtio ?? file.drachtio;
  const drachtio = drachtioText === undefined ? undefined : parseDrachtio(drachtioText);
  const listenText = f.listen ?? file.listen;
  if (drachtio && listenText !== undefined) {
    throw new ConfigError(
      "--listen does not apply with --drachtio: the trunk listens on drachtio-server's own SIP addresses",
    );
  }
  const listen = drachtio ? undefined : (listenText ?? [CLI_DEFAULT_LISTEN]).map(parseListen);
  const media = f.media ?? file.media ?? 'rtpengine';
  if (media !== 'rtpengine' && media !== 'none')
    throw new ConfigError(`--media "${media}": expected rtpengine or none`);
  const routes: Record<string, string> = { ...file.routes };
  for (const r of f.route ?? []) {
    const [number, target] = parseRoute(r);
    routes[number] = target;
  }
  const acl = f.acl ?? file.acl;
  for (const cidr of acl ?? []) {
    try {
      parseCidr(cidr);
    } catch {
      throw new ConfigError(`--acl "${cidr}": expected a CIDR such as 127.0.0.0/8 or ::1/128`);
    }
  }
  const credentialText = f.credentials ?? file.credentials;
  const httpCredentialText = f['http-credentials'] ?? file.httpCredentials;
  const rtpengineText = f.rtpengine ?? file.rtpengine;
  const extraPhones: Record<string, PhoneProfile> = {
    ...(typeof file.phones === 'object' ? file.phones : {}),
    ...Object.fromEntries((f.phone ?? []).map(parsePhone)),
  };
  const noPhones = f['no-phones'] === true || file.phones === false;
  if (noPhones && Object.keys(extraPhones).length > 0)
    throw new ConfigError('--phone (or phones in --config) and --no-phones contradict each other');
  if (media === 'none' && rtpengineText !== undefined)
    throw new ConfigError(`--rtpengine ${rtpengineText} needs --media rtpengine (the default), not none`);
  if (media === 'none' && (f.transcode ?? file.transcode) === true)
    throw new ConfigError('--transcode needs --media rtpengine (the default), not none');
  const httpText = f.http ?? file.http;
  const geo = f.geo ?? file.geo;
  const ringTimeoutMs = millis('--ring-timeout', f['ring-timeout']) ?? file.ringTimeoutMs;
  const sipT1Ms = millis('--sip-t1', f['sip-t1']) ?? file.sipT1Ms;
  if (sipT1Ms !== undefined && drachtio)
    throw new ConfigError('--sip-t1 does not apply with --drachtio: drachtio-server runs the SIP timers');
  const keepText = f['keep-records'];
  if (keepText !== undefined && (!/^\d+$/.test(keepText) || Number(keepText) <= 0))
    throw new ConfigError(`--keep-records "${keepText}": expected a whole number of records > 0`);
  const keepRecords = keepText !== undefined ? Number(keepText) : file.keepRecords;
  const trunkNumber = f['trunk-number'] ?? file.trunkNumber;
  if (trunkNumber !== undefined && !isE164Syntax(trunkNumber)) {
    throw new ConfigError(`--trunk-number "${trunkNumber}": expected an E.164 number such as +14155550199`);
  }
  const homeCountry = f['home-country'] ?? file.homeCountry;
  if (homeCountry !== undefined && !/^[A-Za-z]{2}$/.test(homeCountry)) {
    throw new ConfigError(`--home-country "${homeCountry}": expected an ISO 3166 alpha-2 code such as US`);
  }
  const logLevel = f['log-level'] ?? file.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(`--log-level "${logLevel}": expected one of ${LOG_LEVELS.join(', ')}`);
  const algorithmText = f['digest-algorithms']?.flatMap((a) => a.split(',')) ?? file.digestAlgorithms;
  const digestAlgorithms = algorithmText?.map((a) => {
    const algorithm = normalizeDigestAlgorithm(a.trim());
    if (algorithm === undefined)
      throw new ConfigError(
        `--digest-algorithms "${a}": expected one or more of ${DIGEST_ALGORITHMS.join(', ')}`,
      );
    return algorithm;
  });
  if (digestAlgorithms !== undefined && credentialText === undefined)
    throw new ConfigError(
      '--digest-algorithms needs --credentials: with no credentials nothing is challenged',
    );
  const phonesHost = f['phones-host'] ?? file.phonesHost;
  if (phonesHost !== undefined && isIP(phonesHost) === 0)
    throw new ConfigError(`--phones-host "${phonesHost}": expected a literal IP address such as 127.0.0.1`);
  if (phonesHost !== undefined && noPhones)
    throw new ConfigError('--phones-host and --no-phones contradict each other');
  const domain = f.domain ?? file.domain;
  if (domain !== undefined && !/^[A-Za-z0-9.-]+$/.test(domain))
    throw new ConfigError(`--domain "${domain}": expected a host name`);

  const options: MockTrunkOptions = {
    ...(listen !== undefined ? { listen } : {}),
    ...(drachtio !== undefined ? { drachtio } : {}),
    media,
    routes,
    ...(domain !== undefined ? { domain } : {}),
    ...(acl !== undefined ? { acl } : {}),
    ...(credentialText !== undefined ? { credentials: credentials('--credentials', credentialText) } : {}),
    ...(digestAlgorithms !== undefined ? { digestAlgorithms } : {}),
    ...(geo !== undefined ? { geo: countries(geo) } : {}),
    ...(homeCountry !== undefined ? { homeCountry: homeCountry.toUpperCase() } : {}),
    ...(rtpengineText !== undefined ? { rtpengine: hostPort('--rtpengine', rtpengineText) } : {}),
    ...((f.transcode ?? file.transcode) === true ? { transcode: true } : {}),
    ...(httpText !== undefined ? { http: hostPort('--http', httpText) } : {}),
    ...(httpCredentialText !== undefined
      ? { httpCredentials: credentials('--http-credentials', httpCredentialText) }
      : {}),
    ...(trunkNumber !== undefined ? { trunkNumber } : {}),
    ...(ringTimeoutMs !== undefined ? { ringTimeoutMs } : {}),
    ...(sipT1Ms !== undefined ? { sipTimers: { t1: sipT1Ms } } : {}),
    ...((f.records ?? file.records) !== undefined ? { recordsFile: f.records ?? file.records } : {}),
    ...(keepRecords !== undefined ? { keepRecords } : {}),
    ...(noPhones ? { phones: false } : {}),
    ...(phonesHost !== undefined ? { phonesHost } : {}),
    ...(Object.keys(extraPhones).length > 0 ? { phones: { ...DEFAULT_PHONES, ...extraPhones } } : {}),
  };
  return { options, logLevel, help: f.help === true, version: f.version === true };
}
