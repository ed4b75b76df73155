import { getSource, type SipMessage } from './sip-message.js';

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
  // Text runs are joined into one string and encoded once; a message built here (no source bytes)
  // becomes a single buffer with its body.
  const parts: Buffer[] = [];
  let total = 0;
  let text = '';
  const flush = (): void => {
    if (text !== '') {
      const b = Buffer.from(text, 'utf8');
      parts.push(b);
      total += b.length;
      text = '';
    }
  };
  const push = (b: Buffer): void => {
    flush();
    parts.push(b);
    total += b.length;
  };
  if (startSame && src !== undefined) push(src.startLine);
  else {
    text =
      msg.kind === 'request'
        ? `${msg.method} ${msg.uri} SIP/2.0\r\n`
        : `SIP/2.0 ${msg.status} ${msg.reason}\r\n`;
  }
  let sawLength = false;
  for (const f of msg.headers) {
    if (f.key === 'content-length') {
      if (sawLength) continue; // one Content-Length only
      sawLength = true;
      if (bodyChanged && (f.raw === undefined || f.value !== String(msg.body.length))) {
        text += `${f.name}: ${msg.body.length}\r\n`;
        continue;
      }
    }
    if (f.raw !== undefined) push(f.raw);
    else text += `${f.name}: ${f.value}\r\n`;
  }
  if (!sawLength && (src === undefined || bodyChanged)) text += `Content-Length: ${msg.body.length}\r\n`;
  text += '\r\n';
  if (parts.length === 0) {
    const head = Buffer.byteLength(text, 'utf8');
    const out = Buffer.allocUnsafe(head + msg.body.length);
    out.write(text, 0, 'utf8');
    msg.body.copy(out, head);
    return out;
  }
  flush();
  if (msg.body.length > 0) {
    parts.push(msg.body);
    total += msg.body.length;
  }
  return Buffer.concat(parts, total);
}
