import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * Static checks of docker/ (no Docker engine runs on the machines the suite runs on): the compose
 * file's shape, pinned images, the fixed-subnet network, published ports, and every service's
 * command against the flags its app accepts. `docker compose config` (or v1's `docker-compose
 * config`) validates the file too when a client is installed.
 */

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const read = (path: string): string => readFileSync(`${root}${path}`, 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; target?: string };
  entrypoint?: string[];
  command?: string[];
  ports?: string[];
  depends_on?: string[];
  networks?: Record<string, { ipv4_address?: string }>;
}

interface Compose {
  services: Record<string, Service>;
  networks: Record<string, { driver?: string; ipam?: { config?: { subnet?: string }[] } }>;
}

const compose = parse(read('docker/compose.yaml'), { merge: true }) as Compose;
const services = compose.services;
const SUBNET = '172.30.47.0/24';

function service(name: string): Service {
  const found = services[name];
  if (found === undefined) throw new Error(`service ${name} missing`);
  return found;
}

function address(name: string): string {
  const ip = service(name).networks?.lab?.ipv4_address;
  if (ip === undefined) throw new Error(`service ${name} has no fixed address on the lab network`);
  return ip;
}

function command(name: string): string[] {
  return service(name).command ?? [];
}

/** Values of `--flag value` (and `--flag=value`) in a command line. */
function flagValues(args: readonly string[], flag: string): string[] {
  const values: string[] = [];
  args.forEach((arg, i) => {
    if (arg === flag && args[i + 1] !== undefined) values.push(args[i + 1] as string);
    else if (arg.startsWith(`${flag}=`)) values.push(arg.slice(flag.length + 1));
  });
  return values;
}

/** The `--flags` a command line uses. */
function flagsOf(args: readonly string[]): string[] {
  return args.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0] as string);
}

/** The `--flags` an app's sources mention (its usage text and parser), wherever they live in src/. */
function documentedFlags(srcDir: string): Set<string> {
  const files = readdirSync(`${root}${srcDir}`, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'),
  );
  const text = files.map((f) => read(`${srcDir}/${f}`)).join('\n');
  return new Set([...text.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((m) => m[0]));
}

interface Published {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: string;
}

function published(name: string): Published[] {
  return (service(name).ports ?? []).map((spec) => {
    const match = /^(\d+\.\d+\.\d+\.\d+):(\d+):(\d+)\/(tcp|udp)$/.exec(spec);
    if (match === null)
      throw new Error(`${name}: port "${spec}" is not <host ip>:<host port>:<port>/<tcp|udp>`);
    return {
      hostIp: match[1] as string,
      hostPort: Number(match[2]),
      containerPort: Number(match[3]),
      protocol: match[4] as string,
    };
  });
}

function inSubnet(ip: string): boolean {
  return ip.startsWith('172.30.47.') && Number(ip.split('.')[3]) > 1 && Number(ip.split('.')[3]) < 255;
}

function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

describe('docker/compose.yaml', () => {
  it('has the five lab services', () => {
    expect(Object.keys(services).sort()).toEqual(['dashboard', 'drachtio', 'endpoint', 'rtpengine', 'trunk']);
  });

  it('pins every image: drachtio-server 0.8.17 or later, no latest', () => {
    for (const [name, svc] of Object.entries(services)) {
      expect(svc.image, name).toMatch(/^[a-z0-9./_-]+:[A-Za-z0-9._-]+$/);
      expect(svc.image, name).not.toMatch(/:latest$/);
    }
    const drachtio = /^drachtio\/drachtio-server:(\d+\.\d+\.\d+)$/.exec(service('drachtio').image ?? '');
    expect(drachtio, 'the official drachtio/drachtio-server image').not.toBeNull();
    expect(versionAtLeast(drachtio?.[1] ?? '0', '0.8.17')).toBe(true);
    expect(service('drachtio').build).toBeUndefined();
  });

  it('builds the other images from docker/ Dockerfiles whose base images are pinned', () => {
    for (const name of ['rtpengine', 'trunk', 'endpoint', 'dashboard']) {
      const build = service(name).build;
      expect(build, name).toBeDefined();
      const dockerfile = build?.context === '..' ? build.dockerfile : `docker/${build?.dockerfile ?? ''}`;
      expect(existsSync(`${root}${dockerfile}`), dockerfile).toBe(true);
      const text = read(dockerfile);
      if (build?.target !== undefined)
        expect(text).toMatch(new RegExp(`^FROM \\S+ AS ${build.target}$`, 'm'));
      for (const [, image] of text.matchAll(/^FROM (\S+)/gm)) {
        if (image === 'workspace') continue; // a stage of the same file
        expect(image, `${dockerfile}: FROM ${image ?? ''}`).toMatch(
          /^[a-z0-9./_-]+:[A-Za-z0-9._-]*\d[A-Za-z0-9._-]*$/,
        );
      }
    }
    const rtpengine = read('docker/rtpengine.Dockerfile');
    expect(rtpengine).toMatch(/^FROM debian:12\.\d+-slim$/m); // Debian 12 = bookworm
    expect(rtpengine).toMatch(/apt-get install .*--no-install-recommends rtpengine-daemon/);
    expect(read('docker/workspace.Dockerfile')).toMatch(/pnpm install --frozen-lockfile/);
  });

  it('puts every service on a fixed-subnet bridge network, one address each', () => {
    expect(compose.networks.lab?.driver).toBe('bridge');
    expect(compose.networks.lab?.ipam?.config?.[0]?.subnet).toBe(SUBNET);
    const addresses = Object.keys(services).map(address);
    for (const ip of addresses) expect(inSubnet(ip), ip).toBe(true);
    expect(new Set(addresses).size).toBe(addresses.length);
  });

  it('publishes ports on the host loopback only, each host port once', () => {
    const seen = new Set<string>();
    for (const name of Object.keys(services)) {
      for (const port of published(name)) {
        expect(port.hostIp, `${name} ${port.hostPort}`).toBe('127.0.0.1');
        const key = `${port.hostPort}/${port.protocol}`;
        expect(seen.has(key), `host port ${key} published twice`).toBe(false);
        seen.add(key);
      }
    }
  });

  it('drachtio: contact on its own address, admin port and secret as published', () => {
    const args = command('drachtio');
    expect(service('drachtio').entrypoint).toEqual(['drachtio']);
    const contact = flagValues(args, '--contact')[0] ?? '';
    expect(contact).toBe(`sip:${address('drachtio')}:5060;transport=udp,tcp`);
    const adminPort = Number(flagValues(args, '--port')[0]);
    expect(flagValues(args, '--secret')[0]).toMatch(/^\$\{DRACHTIO_SECRET:-\w+\}$/);
    const ports = published('drachtio');
    expect(ports).toContainEqual(expect.objectContaining({ containerPort: adminPort, protocol: 'tcp' }));
    expect(ports).toContainEqual(expect.objectContaining({ containerPort: 5060, protocol: 'udp' }));
  });

  it('rtpengine: userspace, on its own address, ng port as published', () => {
    const args = command('rtpengine');
    expect(args[0]).toBe('rtpengine');
    for (const flag of ['--config-file=none', '--foreground', '--table=-1', '--no-fallback']) {
      expect(args).toContain(flag);
    }
    expect(flagValues(args, '--interface')).toEqual([address('rtpengine')]);
    const ng = flagValues(args, '--listen-ng')[0] ?? '';
    expect(ng).toBe(`${address('rtpengine')}:22222`);
    expect(published('rtpengine')).toContainEqual(
      expect.objectContaining({ containerPort: 22222, protocol: 'udp' }),
    );
  });

  it("trunk: only referkit-trunk's flags, listening and admitting on the lab network", () => {
    const args = command('trunk');
    const usage = documentedFlags('apps/mock-trunk/src');
    for (const flag of flagsOf(args)) expect(usage.has(flag), `referkit-trunk ${flag}`).toBe(true);
    const listen = flagValues(args, '--listen');
    expect(listen).toEqual([`udp:${address('trunk')}:5060`, `tcp:${address('trunk')}:5060`]);
    expect(flagValues(args, '--acl')).toContain(SUBNET);
    const http = flagValues(args, '--http')[0] ?? '';
    expect(http.startsWith(`${address('trunk')}:`)).toBe(true);
    // The trunk's HTTP API refuses a non-loopback address without credentials.
    expect(flagValues(args, '--http-credentials')).toHaveLength(1);
    const ports = published('trunk');
    expect(ports).toContainEqual(expect.objectContaining({ containerPort: 5060, protocol: 'udp' }));
    expect(ports).toContainEqual(expect.objectContaining({ containerPort: 5060, protocol: 'tcp' }));
    expect(ports).toContainEqual(expect.objectContaining({ containerPort: Number(http.split(':')[1]) }));
    const rtpengine = flagValues(args, '--rtpengine')[0];
    if (rtpengine !== undefined) expect(rtpengine).toBe(`${address('rtpengine')}:22222`);
    expect(read('docker/workspace.Dockerfile')).toMatch(
      /AS trunk[\s\S]*ENTRYPOINT \[.*"apps\/mock-trunk\/src\/bin\.ts"\]/,
    );
  });

  it("endpoint: referkit-endpoint serve with its flags, pointed at the trunk's address", () => {
    const args = command('endpoint');
    expect(args[0]).toBe('serve');
    const usage = documentedFlags('apps/endpoint/src');
    for (const flag of flagsOf(args)) expect(usage.has(flag), `referkit-endpoint ${flag}`).toBe(true);
    expect(flagValues(args, '--trunk')).toEqual([`${address('trunk')}:5060`]);
    expect(flagValues(args, '--domain')).toEqual(flagValues(command('trunk'), '--domain'));
    const http = flagValues(args, '--http')[0] ?? '';
    expect(http.split(':')[0]).toBe(address('endpoint'));
    expect(flagValues(args, '--local')[0]?.split(':')[0]).toBe(address('endpoint'));
    expect(published('endpoint')).toContainEqual(
      expect.objectContaining({ containerPort: Number(http.split(':')[1]), protocol: 'tcp' }),
    );
    expect(service('endpoint').depends_on).toContain('trunk');
    expect(read('docker/workspace.Dockerfile')).toMatch(
      /AS endpoint[\s\S]*ENTRYPOINT \[.*"apps\/endpoint\/src\/bin\.ts"\]/,
    );
  });

  it("dashboard: the lab's own CLI flags, its page forwarded to the published port", () => {
    const script = read('docker/dashboard-start.sh');
    const usage = documentedFlags('apps/lab/src');
    const labLine = script.split('\n').find((line) => line.includes('apps/lab/src/cli.ts')) ?? '';
    expect(labLine).not.toBe('');
    const labArgs = labLine.slice(labLine.indexOf('apps/lab/src/cli.ts')).split(/\s+/);
    expect(flagsOf(labArgs)).toEqual(['--http-port', '--sip-port']);
    for (const flag of flagsOf(labArgs)) expect(usage.has(flag), `lab ${flag}`).toBe(true);
    const forwarded = /TCP-LISTEN:(\d+)/.exec(script)?.[1];
    expect(published('dashboard')).toContainEqual(
      expect.objectContaining({ containerPort: Number(forwarded), protocol: 'tcp' }),
    );
    expect(read('docker/workspace.Dockerfile')).toMatch(/apt-get install .*socat/);
  });
});

/** A compose client on this machine: v2's `docker compose`, else v1's `docker-compose`. */
function composeClient(): string[] | undefined {
  const candidates = [['docker', 'compose'], ['docker-compose']];
  for (const candidate of candidates) {
    const [bin, ...args] = candidate as [string, ...string[]];
    const probe = spawnSync(bin, [...args, 'version'], { encoding: 'utf8', timeout: 20_000 });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

const client = composeClient();

describe.skipIf(client === undefined)(
  client === undefined
    ? 'docker compose config (skipped: neither `docker compose` nor `docker-compose` is installed)'
    : `docker compose config (${client.join(' ')})`,
  () => {
    it('accepts the file without an engine', () => {
      const [bin, ...args] = client as [string, ...string[]];
      const out = execFileSync(bin, [...args, '-f', `${root}docker/compose.yaml`, 'config'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      const resolved = parse(out) as Compose;
      expect(Object.keys(resolved.services).sort()).toEqual(Object.keys(services).sort());
      // The default secret is filled in.
      expect(resolved.services.drachtio?.command).toContain('cymru');
    });
  },
);
