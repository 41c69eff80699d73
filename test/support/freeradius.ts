/**
 * A real FreeRADIUS 3.2 for tests: a self-contained scratch raddb (radiusd.conf with a `files`
 * module, one client for 127.0.0.1, the given users file) on a free loopback UDP port, started as
 * `freeradius -f -l stdout -d DIR` and stopped by PID. The bundled dictionaries (Cisco-AVPair,
 * the 3GPP2 attributes) load by themselves.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export function hasFreeRadius(): boolean {
  return spawnSync('freeradius', ['-v']).status === 0;
}

/** The directory of the FreeRADIUS modules (rlm_pap.so), from the Debian package. */
function moduleDir(): string {
  const out = spawnSync('dpkg', ['-L', 'freeradius'], { encoding: 'utf8' }).stdout ?? '';
  const pap = out.split('\n').find((l) => l.endsWith('/rlm_pap.so'));
  if (!pap) throw new Error('freeradius: rlm_pap.so not found (dpkg -L freeradius)');
  return dirname(pap);
}

/** A UDP port free on 127.0.0.1 now. */
export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

// Each item and each closing brace on its own line: a compacted form fails to parse.
const RADIUSD_CONF = (secret: string): string => `prefix = $ENV{RADDB}
raddbdir = $ENV{RADDB}
confdir = \${raddbdir}
localstatedir = \${confdir}
logdir = \${confdir}/log
run_dir = \${confdir}/run
libdir = $ENV{FR_LIBDIR}
name = freeradius
pidfile = \${run_dir}/\${name}.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
  destination = stdout
  colourise = no
  auth = yes
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = yes
}
thread pool {
  start_servers = 2
  max_servers = 4
  min_spare_servers = 1
  max_spare_servers = 3
  max_requests_per_server = 0
}
client lo {
  ipaddr = 127.0.0.1
  secret = ${secret}
}
modules {
  always ok {
    rcode = ok
  }
  pap {
  }
  files {
    filename = \${confdir}/users
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = $ENV{RADIUS_PORT}
  }
  authorize {
    files
    pap
  }
  authenticate {
    pap
  }
  accounting {
    ok
  }
  post-auth {
    Post-Auth-Type REJECT {
      update {
        &reply: !* ANY
      }
    }
  }
}
`;

export interface FreeRadius {
  port: number;
  readonly pid: number;
  /** Everything the server printed (its log). */
  output(): string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startFreeRadius(o: {
  secret: string;
  users: string;
  port?: number;
}): Promise<FreeRadius> {
  const dir = mkdtempSync(join(tmpdir(), 'pmip-freeradius-'));
  const raddb = join(dir, 'raddb');
  mkdirSync(join(raddb, 'log'), { recursive: true });
  mkdirSync(join(raddb, 'run'), { recursive: true });
  writeFileSync(join(raddb, 'radiusd.conf'), RADIUSD_CONF(o.secret));
  writeFileSync(join(raddb, 'users'), o.users);
  const port = o.port ?? (await freeUdpPort());
  const libdir = moduleDir();
  let child: ChildProcess | undefined;
  let out = '';

  const start = async (): Promise<void> => {
    out = '';
    const c = spawn('freeradius', ['-f', '-l', 'stdout', '-d', raddb], {
      env: { ...process.env, RADDB: raddb, FR_LIBDIR: libdir, RADIUS_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 15000;
    while (!out.includes('Ready to process requests')) {
      if (c.exitCode !== null) throw new Error(`freeradius exited ${c.exitCode}: ${out.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`freeradius not ready in 15 s: ${out.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 3000).unref();
    });
  };
  await start();
  return {
    port,
    get pid() {
      return child?.pid ?? 0;
    },
    output: () => out,
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
