import { describe, expect, it } from 'vitest';
import { plivoProfile, resolveTransferTargets } from '../src/index.js';

const domain = 'xxxxxxxxxxxx.zt.plivo.com';

describe('resolveTransferTargets', () => {
  it('places bare numbers in the domain and keeps URIs, display names and time budgets', () => {
    expect(
      resolveTransferTargets(
        [
          '+1 (415) 555-0101',
          `<sip:+14155550102@${domain}>`,
          { uri: '+14155550103', displayName: 'Ana', timeoutMs: 5000 },
        ],
        { domain },
      ),
    ).toEqual({
      ok: true,
      value: [
        { uri: `sip:+14155550101@${domain}` },
        { uri: `sip:+14155550102@${domain}` },
        { uri: `sip:+14155550103@${domain}`, displayName: 'Ana', timeoutMs: 5000 },
      ],
    });
  });

  it.each([
    ['sip:+14155550101@pbx.example.com', 403, 'FOREIGN_DOMAIN'],
    ['sip:+14155550101@10.0.0.7', 403, 'PRIVATE_ADDRESS'],
    ['+442079460000', 403, 'GEO_NOT_PERMITTED'],
    [`sip:agent@${domain}`, 400, 'NOT_E164'],
  ])('refuses %s with the %i the trunk would answer', (target, status, code) => {
    const result = resolveTransferTargets([target], { domain });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ code: 'INVALID_TARGET', target, referToError: { status, code } });
  });

  it('sends refused targets as they are when validation is off, but never ones that break the header', () => {
    expect(resolveTransferTargets(['sip:+14155550101@pbx.example.com'], { domain, validate: false })).toEqual(
      {
        ok: true,
        value: [{ uri: 'sip:+14155550101@pbx.example.com' }],
      },
    );
    for (const bad of ['sip:a@b\r\nX-Evil: 1', 'sip:a@b>', 'sip:a b@c']) {
      const result = resolveTransferTargets([bad], { validate: false });
      expect(result.ok ? undefined : result.error.code).toBe('INVALID_TARGET');
    }
    const name = resolveTransferTargets([{ uri: '+14155550101', displayName: 'A\r\nB' }], { domain });
    expect(name.ok ? undefined : name.error.message).toMatch(/display name/);
  });

  it('names what is missing: targets, input shape, domain', () => {
    expect(resolveTransferTargets([], { domain })).toMatchObject({
      ok: false,
      error: { code: 'NO_TARGETS' },
    });
    expect(resolveTransferTargets([{ uri: '' }], { domain })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT' },
    });
    const message = (result: ReturnType<typeof resolveTransferTargets>): string =>
      result.ok ? '' : `${result.error.code}: ${result.error.message}`;
    expect(message(resolveTransferTargets(['+14155550101']))).toMatch(/^INVALID_TARGET: .*options\.domain/);
    expect(message(resolveTransferTargets(['sip:+14155550101@x.zt.plivo.com']))).toMatch(
      /^INVALID_TARGET: .*domain is unknown/,
    );
    expect(message(resolveTransferTargets(['agent'], { domain }))).toMatch(/neither an E\.164 number/);
  });

  it('uses an explicit profile (strict mode) instead of the default', () => {
    const profile = plivoProfile({ terminationDomain: domain, strict: true });
    const other = resolveTransferTargets(['sip:+14155550101@other.zt.plivo.com'], { profile });
    expect(other.ok ? undefined : other.error.referToError?.code).toBe('FOREIGN_DOMAIN');
  });
});
