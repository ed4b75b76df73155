import { afterEach, describe, expect, it } from 'vitest';
import { TrunkConfigError, createAcl, parseCidr, startMockTrunk } from '../../src/index.js';
import { CUSTOMER, startLab, until } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const OUTSIDE = ['10.0.0.0/8'];

describe('admission', () => {
  it('ACL: loopback by default, IPv4-mapped sources checked as IPv4, bad CIDRs refused', () => {
    const acl = createAcl(['127.0.0.0/8', '::1/128']);
    expect(acl.allows('127.0.0.1')).toBe(true);
    expect(acl.allows('::ffff:127.0.0.2')).toBe(true);
    expect(acl.allows('::1')).toBe(true);
    expect(acl.allows('10.0.0.1')).toBe(false);
    expect(acl.allows('not-an-ip')).toBe(false);
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/invalid CIDR/);
    expect(() => parseCidr('bogus')).toThrow(/invalid CIDR/);
  });

  it('a source outside the ACL without credentials configured gets 403', async () => {
    const { endpoint } = await startLab(cleanups, { trunk: { acl: OUTSIDE } });
    expect(await endpoint.call(CUSTOMER)).toBe(403);
  });

  it('with credentials: 407 challenge first, the authenticated INVITE places the call', async () => {
    const { endpoint, customer, trunk } = await startLab(cleanups, {
      trunk: { acl: OUTSIDE, credentials: { user: 'agent', password: 's3cret' } },
      endpoint: { credentials: { username: 'agent', password: 's3cret' } },
    });
    expect(await endpoint.call(CUSTOMER)).toBe(200);
    const challenges = trunk.events().filter((e) => e.type === 'sip' && e.summary.startsWith('407'));
    expect(challenges).toHaveLength(1);
    expect(customer.invites).toHaveLength(1);
    expect(await endpoint.hangUp()).toBe(200);
    await until(() => trunk.calls().length === 0, 5000);
  });

  it('digestAlgorithms chooses what the 407 offers: one Proxy-Authenticate each, in order', async () => {
    const { endpoint, customer, trunk } = await startLab(cleanups, {
      trunk: { acl: OUTSIDE, credentials: { user: 'agent', password: 's3cret' }, digestAlgorithms: ['MD5'] },
      endpoint: { credentials: { username: 'agent', password: 's3cret' } },
    });
    expect(await endpoint.call(CUSTOMER)).toBe(200);
    const challenge = trunk.events().find((e) => e.type === 'sip' && e.summary.startsWith('407'));
    const offers = challenge?.type === 'sip' ? challenge.raw.match(/^Proxy-Authenticate:.*$/gim) : null;
    expect(offers).toHaveLength(1);
    expect(offers?.[0]).toMatch(/algorithm=MD5\b/);
    expect(customer.invites).toHaveLength(1);
    expect(await endpoint.hangUp()).toBe(200);
    await until(() => trunk.calls().length === 0, 5000);
  });

  it('bad digestAlgorithms or phonesHost are refused with TrunkConfigError', async () => {
    await expect(startMockTrunk({ media: 'none', phones: false, digestAlgorithms: [] })).rejects.toThrow(
      TrunkConfigError,
    );
    await expect(
      startMockTrunk({ media: 'none', phones: false, digestAlgorithms: ['SHA-1' as 'MD5'] }),
    ).rejects.toThrow(/digest algorithm "SHA-1" is not one of MD5/);
    await expect(startMockTrunk({ media: 'none', phonesHost: 'localhost' })).rejects.toThrow(
      /phonesHost "localhost" is not a literal IP address/,
    );
  });

  it('without credentials the challenge stays unanswered (407); a wrong password gets 403', async () => {
    const { endpoint, customer } = await startLab(cleanups, {
      trunk: { acl: OUTSIDE, credentials: { user: 'agent', password: 's3cret' } },
    });
    expect(await endpoint.call(CUSTOMER)).toBe(407);
    const { endpoint: wrong } = await startLab(cleanups, {
      trunk: { acl: OUTSIDE, credentials: { user: 'agent', password: 's3cret' } },
      endpoint: { credentials: { username: 'agent', password: 'nope' } },
    });
    expect(await wrong.call(CUSTOMER)).toBe(403);
    expect(customer.invites).toHaveLength(0);
  });
});
