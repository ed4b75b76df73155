import { randomBytes } from 'node:crypto';
import { silentLogger, type Logger } from '@referkit/media';
import { UserAgent, type UserAgentOptions } from 'sip.js';
import {
  createNodeSessionDescriptionHandlerFactory,
  type NodeSdhOptions,
} from './session-description-handler.js';
import { NodeTransport, type NodeTransportOptions } from './transport.js';

/** Options of {@link createNodeUserAgent}. */
export interface NodeUserAgentOptions {
  /** Address of record, e.g. `sip:agent@lab.zt.plivo.com` (its user is also the Contact user). */
  readonly uri: string;
  /** Display name for From. */
  readonly displayName?: string | undefined;
  /** Digest credentials (SIP.js answers 401/407 challenges with them). */
  readonly credentials?: { readonly username: string; readonly password: string } | undefined;
  /** Transport settings (`viaHost` and `contactUser` are filled in). */
  readonly transport?: Omit<NodeTransportOptions, 'viaHost' | 'contactUser'> | undefined;
  /** Media settings for every session. */
  readonly media?: NodeSdhOptions | undefined;
  /** Logger for the transport, media and SIP.js's own warnings (default silent). */
  readonly logger?: Logger | undefined;
  /** Longest wait in {@link NodeUserAgent.stop} for BYE responses before closing anyway (default 5000 ms). */
  readonly stopTimeoutMs?: number | undefined;
  /** Further SIP.js options (e.g. `delegate.onInvite`); the ones above win. */
  readonly userAgentOptions?: Partial<UserAgentOptions> | undefined;
}

/** A started SIP.js UserAgent on a {@link NodeTransport}. */
export interface NodeUserAgent {
  /** The SIP.js UserAgent (already started). */
  readonly userAgent: UserAgent;
  /** Its transport (bound). */
  readonly transport: NodeTransport;
  /** The Contact URI peers can reach, e.g. `sip:agent@127.0.0.1:40123;transport=udp`. */
  readonly contact: string;
  /** Stops the UserAgent (ending its sessions) and closes the transport. */
  stop(): Promise<void>;
}

/**
 * Creates and starts a SIP.js `UserAgent` for Node: a {@link NodeTransport} (UDP/TCP/TLS with
 * RFC 3261 retransmission and the SIP.js quirks handled) and a
 * {@link NodeSessionDescriptionHandler} per session (real RTP).
 *
 * @throws the bind error when the transport cannot bind
 */
export async function createNodeUserAgent(options: NodeUserAgentOptions): Promise<NodeUserAgent> {
  const logger = options.logger ?? silentLogger;
  const aor = UserAgent.makeURI(options.uri);
  if (!aor) throw new TypeError(`not a SIP URI: ${options.uri}`);
  const contactUser = aor.user ?? 'referkit';
  const viaHost = `${randomBytes(6).toString('hex')}.invalid`;
  const protocol = options.transport?.protocol ?? 'udp';
  const extra = options.userAgentOptions ?? {};
  const userAgent = new UserAgent({
    ...extra,
    uri: aor,
    ...(options.displayName === undefined ? {} : { displayName: options.displayName }),
    ...(options.credentials
      ? {
          authorizationUsername: options.credentials.username,
          authorizationPassword: options.credentials.password,
        }
      : {}),
    viaHost,
    contactName: contactUser,
    contactParams: { transport: protocol },
    transportConstructor: NodeTransport,
    transportOptions: { ...options.transport, viaHost, contactUser, logger } satisfies NodeTransportOptions,
    sessionDescriptionHandlerFactory: createNodeSessionDescriptionHandlerFactory({
      logger,
      ...options.media,
    }),
    logBuiltinEnabled: false,
    logLevel: 'warn',
    logConnector: (level, category, _label, content) => {
      if (level === 'error') logger.error({ category }, content);
      else if (level === 'warn') logger.warn({ category }, content);
      else logger.debug({ category }, content);
    },
  });
  await userAgent.start();
  const transport = userAgent.transport as NodeTransport;
  const advertised = transport.advertised;
  const host = advertised?.host ?? '127.0.0.1';
  const contact = `sip:${contactUser}@${host.includes(':') ? `[${host}]` : host}:${advertised?.port ?? 0};transport=${protocol}`;
  return {
    userAgent,
    transport,
    contact,
    stop: async () => {
      // SIP.js waits for the response to each BYE; a peer that is gone would hold stop() for 32 s.
      let timer: NodeJS.Timeout | undefined;
      const bounded = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, options.stopTimeoutMs ?? 5000);
      });
      await Promise.race([
        userAgent.stop().catch((err: unknown) => logger.warn({ err }, 'UserAgent.stop failed')),
        bounded,
      ]);
      clearTimeout(timer);
      await transport.dispose();
    },
  };
}
