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
  environment?: Record<string, string>;
  volumes?: string[];
  networks?: Record<string, { ipv4_address?: string }>;
}

interface Compose {
  services: Record<string, Service>;
  networks: Record<string, { driver?: string; ipam?: { config?: { subnet?: string }[] } }>;
  volumes?: Record<string, unknown>;
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

/** The services running the drachtio-server image. */
function drachtioServers(): string[] {
  return Object.keys(services).filter((name) =>
    (service(name).image ?? '').startsWith('drachtio/drachtio-server:'),
  );
}

/** `sip:<host>:<port>;transport=...` -> `<host>:<port>`. */
function contactHostPort(contact: string): string {
  const match = /^sip:(\d+\.\d+\.\d+\.\d+):(\d+)(?:;|$)/.exec(contact);
  if (match === null) throw new Error(`contact "${contact}" is not sip:<ip>:<port>[;params]`);
  return `${match[1] ?? ''}:${match[2] ?? ''}`;
}

/** `<volume>:<path>[:ro]` -> { volume, path, readOnly }. */
function mounts(name: string): { volume: string; path: string; readOnly: boolean }[] {
  return (service(name).volumes ?? []).map((spec) => {
    const [volume = '', path = '', mode] = spec.split(':');
    return { volume, path, readOnly: mode === 'ro' };
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
  it('has the six lab services', () => {
    expect(Object.keys(services).sort()).toEqual([
      'dashboard',
      'drachtio',
      'endpoint',
      'rtpengine',
      'trunk',
      'trunk-sip',
    ]);
  });

  it('pins every image: drachtio-server 0.8.17 or later, the same for both, no latest', () => {
    for (const [name, svc] of Object.entries(services)) {
      expect(svc.image, name).toMatch(/^[a-z0-9./_-]+:[A-Za-z0-9._-]+$/);
      expect(svc.image, name).not.toMatch(/:latest$/);
    }
    expect(drachtioServers().sort()).toEqual(['drachtio', 'trunk-sip']);
    for (const name of drachtioServers()) {
      const drachtio = /^drachtio\/drachtio-server:(\d+\.\d+\.\d+)$/.exec(service(name).image ?? '');
      expect(drachtio, `${name}: the official drachtio/drachtio-server image`).not.toBeNull();
      expect(versionAtLeast(drachtio?.[1] ?? '0', '0.8.17'), name).toBe(true);
      expect(service(name).build, name).toBeUndefined();
    }
    expect(service('trunk-sip').image).toBe(service('drachtio').image);
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

  it('drachtio-servers: contact on their own address, admin port and secret as configured', () => {
    for (const name of drachtioServers()) {
      const args = command(name);
      expect(service(name).entrypoint, name).toEqual(['drachtio']);
      const contact = flagValues(args, '--contact')[0] ?? '';
      expect(contact, name).toBe(`sip:${address(name)}:5060;transport=udp,tcp`);
      expect(flagValues(args, '--address'), name).toEqual(['0.0.0.0']);
      expect(Number(flagValues(args, '--port')[0]), name).toBeGreaterThan(0);
      expect(flagValues(args, '--secret')[0], name).toMatch(/^\$\{DRACHTIO_SECRET:-\w+\}$/);
    }
  });

  it('drachtio: admin port and SIP published for drachtio-srf apps on the host', () => {
    const adminPort = Number(flagValues(command('drachtio'), '--port')[0]);
    const ports = published('drachtio');
    expect(ports).toContainEqual(expect.objectContaining({ containerPort: adminPort, protocol: 'tcp' }));
    expect(ports).toContainEqual(expect.objectContaining({ containerPort: 5060, protocol: 'udp' }));
  });

  it("trunk-sip: the trunk's SIP published on the host's 5060, udp and tcp, its admin port not", () => {
    const adminPort = Number(flagValues(command('trunk-sip'), '--port')[0]);
    const ports = published('trunk-sip');
    for (const protocol of ['udp', 'tcp']) {
      expect(ports).toContainEqual({ hostIp: '127.0.0.1', hostPort: 5060, containerPort: 5060, protocol });
    }
    expect(ports.map((p) => p.containerPort)).not.toContain(adminPort);
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

  it("trunk: only referkit-trunk's flags, admitting on the lab network, its HTTP API published", () => {
    const args = command('trunk');
    const usage = documentedFlags('apps/mock-trunk/src');
    for (const flag of flagsOf(args)) expect(usage.has(flag), `referkit-trunk ${flag}`).toBe(true);
    expect(flagValues(args, '--acl')).toContain(SUBNET);
    const http = flagValues(args, '--http')[0] ?? '';
    expect(http.startsWith(`${address('trunk')}:`)).toBe(true);
    // The trunk's HTTP API refuses a non-loopback address without credentials.
    expect(flagValues(args, '--http-credentials')).toHaveLength(1);
    expect(published('trunk')).toContainEqual(
      expect.objectContaining({ containerPort: Number(http.split(':')[1]), protocol: 'tcp' }),
    );
    expect(read('docker/workspace.Dockerfile')).toMatch(
      /AS trunk[\s\S]*ENTRYPOINT \[.*"apps\/mock-trunk\/src\/bin\.ts"\]/,
    );
  });

  it('trunk: its SIP on trunk-sip (control port and secret as that server has them), no --listen', () => {
    const args = command('trunk');
    expect(flagValues(args, '--listen')).toEqual([]); // referkit-trunk refuses --listen with --drachtio
    const drachtio = flagValues(args, '--drachtio');
    expect(drachtio).toHaveLength(1);
    const match = /^(\d+\.\d+\.\d+\.\d+):(\d+):(.+)$/.exec(drachtio[0] ?? '');
    expect(match, `--drachtio ${drachtio[0] ?? ''}`).not.toBeNull();
    const [, host, port, secret] = match ?? [];
    const server = drachtioServers().find((name) => address(name) === host);
    expect(server, `a drachtio-server service at ${host ?? ''}`).toBe('trunk-sip');
    // Not the drachtio-server users' drachtio-srf apps connect to: it would share their requests out.
    expect(server).not.toBe('drachtio');
    expect(port).toBe(flagValues(command(server ?? ''), '--port')[0]);
    expect(secret).toBe(flagValues(command(server ?? ''), '--secret')[0]);
    expect(service('trunk').depends_on).toContain(server);
    // Its simulated phones bind the trunk's lab address, where drachtio-server reaches them.
    expect(flagValues(args, '--phones-host')).toEqual([address('trunk')]);
    expect(published('trunk').map((p) => p.containerPort)).not.toContain(5060);
  });

  it("trunk: media in the rtpengine service, ring-back on a volume rtpengine reads at the trunk's path", () => {
    const args = command('trunk');
    const media = flagValues(args, '--media');
    expect(media).toHaveLength(1);
    if (media[0] === 'none') {
      expect(flagValues(args, '--rtpengine')).toEqual([]);
      return;
    }
    expect(media).toEqual(['rtpengine']);
    // Without --rtpengine the trunk would start its own rtpengine inside its container.
    expect(flagValues(args, '--rtpengine')).toEqual(flagValues(command('rtpengine'), '--listen-ng'));
    expect(flagValues(command('rtpengine'), '--interface')).toEqual([address('rtpengine')]);
    expect(service('trunk').depends_on).toContain('rtpengine');
    const tmp = service('trunk').environment?.TMPDIR;
    expect(tmp, 'the trunk writes its ring-back file under TMPDIR').toBeDefined();
    const trunkMount = mounts('trunk').find((m) => m.path === tmp);
    expect(trunkMount, `a volume at ${tmp ?? ''} in trunk`).toBeDefined();
    expect(trunkMount?.readOnly).toBe(false);
    expect(Object.keys(compose.volumes ?? {})).toContain(trunkMount?.volume);
    expect(mounts('rtpengine')).toContainEqual({ volume: trunkMount?.volume, path: tmp, readOnly: true });
  });

  it('trunk image: drachtio-srf, which --drachtio loads at run time, is installed and checked', () => {
    const pkg = JSON.parse(read('apps/mock-trunk/package.json')) as Record<
      string,
      Record<string, string> | undefined
    >;
    const installed = pkg.dependencies?.['drachtio-srf'] ?? pkg.devDependencies?.['drachtio-srf'];
    expect(installed, 'drachtio-srf in dependencies or devDependencies').toBeDefined();
    const dockerfile = read('docker/workspace.Dockerfile');
    const install = /^RUN pnpm install[^\n]*$/m.exec(dockerfile)?.[0] ?? '';
    expect(install).not.toBe('');
    if (pkg.dependencies?.['drachtio-srf'] === undefined) expect(install).not.toMatch(/--prod|-P\b/);
    expect(dockerfile.indexOf(install)).toBeLessThan(dockerfile.indexOf('ENV NODE_ENV=production'));
    const trunkStage = /FROM workspace AS trunk\n([\s\S]*?)(?:\nFROM |$)/.exec(dockerfile)?.[1] ?? '';
    expect(trunkStage).toContain(
      `cd apps/mock-trunk && node --input-type=module -e "await import('drachtio-srf')"`,
    );
  });

  it("endpoint: referkit-endpoint serve with its flags, pointed at the trunk's SIP address", () => {
    const args = command('endpoint');
    expect(args[0]).toBe('serve');
    const usage = documentedFlags('apps/endpoint/src');
    for (const flag of flagsOf(args)) expect(usage.has(flag), `referkit-endpoint ${flag}`).toBe(true);
    // The trunk's SIP is trunk-sip's, at the address its contact advertises.
    expect(flagValues(args, '--trunk')).toEqual([
      contactHostPort(flagValues(command('trunk-sip'), '--contact')[0] ?? ''),
    ]);
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
      // The default secret is filled in, the same for trunk-sip and the trunk connecting to it.
      expect(resolved.services.drachtio?.command).toContain('cymru');
      expect(resolved.services['trunk-sip']?.command).toContain('cymru');
      const drachtio = flagValues(resolved.services.trunk?.command ?? [], '--drachtio');
      expect(drachtio).toEqual([`${address('trunk-sip')}:9022:cymru`]);
    });
  },
);
