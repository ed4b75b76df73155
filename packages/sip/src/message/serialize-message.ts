import { getSource, type SipMessage } from './sip-message.js';

const CRLF = Buffer.from('\r\n');

/**
 * Writes a message as bytes. A parsed message that was not changed comes back byte for byte
 * (one copy of its source); a changed one keeps the original bytes of every unchanged header line
 * and of the start line when method/URI or status/reason are unchanged. Content-Length is
 * rewritten when the body was replaced, and added when a message built here has none
 * (RFC 3261 section 20.14).
 */
export function serializeMessage(msg: SipMessage): Buffer {
  const src = getSource(msg);
  const bodyChanged = src === undefined || src.body !== msg.body;
  const startSame =
    src !== undefined &&
    (msg.kind === 'request'
      ? src.a === msg.method && src.b === msg.uri
      : src.a === msg.status && src.b === msg.reason);
  if (src !== undefined && !bodyChanged && startSame && !msg.headers.modified) {
    return Buffer.from(src.bytes);
  }
  const parts: Buffer[] = [];
  let total = 0;
  const push = (b: Buffer): void => {
    parts.push(b);
    total += b.length;
  };
  if (startSame && src !== undefined) push(src.startLine);
  else {
    push(
      Buffer.from(
        msg.kind === 'request'
          ? `${msg.method} ${msg.uri} SIP/2.0\r\n`
          : `SIP/2.0 ${msg.status} ${msg.reason}\r\n`,
        'utf8',
      ),
    );
  }
  let sawLength = false;
  let text = '';
  const flush = (): void => {
    if (text !== '') {
      push(Buffer.from(text, 'utf8'));
      text = '';
    }
  };
  for (const f of msg.headers) {
    if (f.key === 'content-length') {
      if (sawLength) continue; // one Content-Length only
      sawLength = true;
      if (bodyChanged && (f.raw === undefined || f.value !== String(msg.body.length))) {
        text += `${f.name}: ${msg.body.length}\r\n`;
        continue;
      }
    }
    if (f.raw !== undefined) {
      flush();
      push(f.raw);
    } else {
      text += `${f.name}: ${f.value}\r\n`;
    }
  }
  if (!sawLength && (src === undefined || bodyChanged)) text += `Content-Length: ${msg.body.length}\r\n`;
  flush();
  push(CRLF);
  if (msg.body.length > 0) push(msg.body);
  return Buffer.concat(parts, total);
}
