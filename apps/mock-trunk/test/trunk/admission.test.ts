import { afterEach, describe, expect, it } from 'vitest';
import { createAcl, parseCidr } from '../../src/index.js';
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
