import type { CallLeg, SipTraceEvent, TrunkEvent } from './types.js';

/** Options of {@link mermaidLadder}. */
export interface MermaidLadderOptions {
  /** Diagram title (omitted by default). */
  readonly title?: string | undefined;
  /** Number the arrows (`autonumber`; default `false`). */
  readonly autonumber?: boolean | undefined;
  /** Add a note for each media event (default `true`). */
  readonly media?: boolean | undefined;
  /** Prefix each arrow with the time since the first event, e.g. `+1.250s` (default `false`). */
  readonly times?: boolean | undefined;
}

const LEG_PARTICIPANTS: Readonly<Record<CallLeg, { readonly id: string; readonly label: string }>> = {
  endpoint: { id: 'E', label: 'Endpoint' },
  customer: { id: 'C', label: 'Customer' },
  target: { id: 'G', label: 'Target' },
};
const TRUNK = { id: 'T', label: 'Trunk' } as const;

/**
 * Escapes text for a Mermaid message or note: `#` and `;` become entity codes (`;` separates
 * statements), line breaks become spaces, and `%%` cannot start a comment.
 */
export function escapeMermaidText(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[#;%]/g, (c) => `#${c.charCodeAt(0)};`)
    .trim();
}

function isResponse(event: SipTraceEvent): boolean {
  if (/^\d{3}\b/.test(event.summary)) return true;
  return event.raw.startsWith('SIP/2.0 ');
}

/** A label for a SIP message: its summary, or the request method / status line from the raw text. */
function label(event: SipTraceEvent): string {
  if (event.summary.trim().length > 0) return event.summary;
  const first = event.raw.split(/\r?\n/, 1)[0] ?? '';
  if (first.startsWith('SIP/2.0 ')) return first.slice(8);
  return first.split(' ', 1)[0] ?? 'SIP';
}

/**
 * Renders events as a Mermaid `sequenceDiagram`: participants Endpoint, Trunk, Customer and
 * Target (plus one per unknown peer address), one arrow per SIP message (solid for requests,
 * dashed for responses), a note over the trunk for each state change and, optionally, a note
 * over the listening party for each media change. Events are drawn in time order.
 *
 * @example
 * ```ts
 * const text = mermaidLadder(events.filter((e) => 'call' in e && e.call === id));
 * // sequenceDiagram
 * //     participant E as Endpoint
 * //     ...
 * //     E->>T: INVITE
 * //     T-->>E: 200 OK (INVITE)
 * ```
 */
export function mermaidLadder(events: readonly TrunkEvent[], options: MermaidLadderOptions = {}): string {
  const sorted = events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => a.event.at - b.event.at || a.index - b.index)
    .map((e) => e.event);
  const extra = new Map<string, string>();
  const partyIds = new Map<string, string>();
  const peerOf = (event: SipTraceEvent): string => {
    if (event.leg) return LEG_PARTICIPANTS[event.leg].id;
    let id = extra.get(event.remote);
    if (id === undefined) {
      id = `P${extra.size + 1}`;
      extra.set(event.remote, id);
    }
    return id;
  };
  const body: string[] = [];
  const start = sorted[0]?.at ?? 0;
  const time = (at: number): string => (options.times ? `+${((at - start) / 1000).toFixed(3)}s ` : '');
  for (const event of sorted) {
    switch (event.type) {
      case 'sip': {
        const peer = peerOf(event);
        const [from, to] = event.direction === 'in' ? [peer, TRUNK.id] : [TRUNK.id, peer];
        const arrow = isResponse(event) ? '-->>' : '->>';
        body.push(`    ${from}${arrow}${to}: ${escapeMermaidText(time(event.at) + label(event))}`);
        break;
      }
      case 'state': {
        const text = [
          event.leg ? `${event.leg}: ` : '',
          event.state,
          event.detail ? ` (${event.detail})` : '',
        ].join('');
        body.push(`    Note over ${TRUNK.id}: ${escapeMermaidText(time(event.at) + text)}`);
        break;
      }
      case 'media': {
        if (options.media === false) break;
        let over = event.party === 'endpoint' ? LEG_PARTICIPANTS.endpoint.id : partyIds.get(event.party);
        if (over === undefined) {
          // A phone number: draw the note over the leg that called it, when known.
          over = TRUNK.id;
        }
        body.push(
          `    Note over ${over}: ${escapeMermaidText(`${time(event.at)}${event.party} hears ${event.heard}`)}`,
        );
        break;
      }
      case 'record':
        break;
    }
    // Remember which leg a phone number is on, from the Request-URI of the INVITE sent to it.
    if (event.type === 'sip' && event.leg && event.leg !== 'endpoint' && event.direction === 'out') {
      const number = /^INVITE sips?:([^@;\s]+)@/.exec(event.raw)?.[1];
      if (number !== undefined) partyIds.set(decodeURIComponentSafe(number), LEG_PARTICIPANTS[event.leg].id);
    }
  }
  const lines = ['sequenceDiagram'];
  if (options.title !== undefined) lines.push(`    title ${escapeMermaidText(options.title)}`);
  if (options.autonumber) lines.push('    autonumber');
  lines.push(`    participant ${LEG_PARTICIPANTS.endpoint.id} as ${LEG_PARTICIPANTS.endpoint.label}`);
  lines.push(`    participant ${TRUNK.id} as ${TRUNK.label}`);
  lines.push(`    participant ${LEG_PARTICIPANTS.customer.id} as ${LEG_PARTICIPANTS.customer.label}`);
  lines.push(`    participant ${LEG_PARTICIPANTS.target.id} as ${LEG_PARTICIPANTS.target.label}`);
  for (const [remote, id] of extra) lines.push(`    participant ${id} as ${escapeMermaidText(remote)}`);
  return `${[...lines, ...body].join('\n')}\n`;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
