/**
 * The site under test for the dashboards' and the alerts' integration tests: the real engine lab
 * (test/support/lab-site.ts: home agents, foreign agents and access points speaking Mobile IP over
 * real UDP on loopback) feeding a real Collector, served by startExporterServer on 127.0.0.1.
 *
 * The demo site will replace `startEngineSite` with one line: callers only use `url`, `target`,
 * `collector` and `stop()`, plus the traffic functions below (which drive the lab): the baseline,
 * a denial storm (wrong-key clients), a silent home agent.
 */
import { createSocket } from 'node:dgram';
import pino from 'pino';
import { Collector } from '../../src/collector/collector.ts';
import { startExporterServer } from '../../src/exporters/http-server.ts';
import type { PmipEvent } from '../../src/pmip/events.ts';
import { AapServer } from '../../src/pmip/aap/server.ts';
import { AapClient } from '../../src/pmip/aap/client.ts';
import { realScheduler } from '../../src/pmip/runtime/scheduler.ts';
import { seededRandom } from '../../src/pmip/wire/identification.ts';
import {
  AP,
  FA,
  HA,
  SUBNETS,
  WRONG_KEY,
  settle,
  startLab,
  waitUntil,
  type Lab,
  type SubnetName,
} from './lab-site.ts';

const HOUR = 3600_000;

/** Access point C runs an hour ahead: its first registration with each home agent gets a 133. */
export const SKEWED_ACCESS_POINT: SubnetName = 'C';

/**
 * Home addresses (subnet A, so home agent ha-A) for which the access points hold the wrong key:
 * every request for them fails authentication at ha-A and is denied with 131.
 */
export const STORM_ADDRESSES: readonly string[] = Array.from({ length: 40 }, (_v, i) => `127.0.1.${200 + i}`);

export interface EngineSite {
  /** Base URL of the exporter, e.g. http://127.0.0.1:40123 */
  url: string;
  /** host:port, the scrape target (and the `instance` label Prometheus gives it). */
  target: string;
  lab: Lab;
  collector: Collector;
  stop(): Promise<void>;
}

export interface EngineSiteOptions {
  /** Skew access point C's clock (default true). */
  skewedAccessPoint?: boolean;
}

export async function startEngineSite(options: EngineSiteOptions = {}): Promise<EngineSite> {
  const lab = await startLab({
    apClockOffsetMs: options.skewedAccessPoint === false ? {} : { [SKEWED_ACCESS_POINT]: HOUR },
    apKeyFor: Object.fromEntries(STORM_ADDRESSES.map((a) => [a, WRONG_KEY])),
  });
  const collector = new Collector({
    accessPoints: SUBNETS.map((s) => `ap-${s}`),
    homeAgents: SUBNETS.map((s) => ({ id: `ha-${s}`, address: HA(s) })),
    foreignAgents: SUBNETS.map((s) => ({ id: `fa-${s}`, address: FA(s) })),
    aaps: ['ap-A'],
    views: { subnetMap: () => lab.subnetMap.rows() },
  });
  lab.recorder.forward(collector.ingest);
  const aap = await startAuthoritativeAccessPoint(lab, collector.ingest);
  const server = await startExporterServer({
    collector,
    listen: { host: '127.0.0.1', port: 0 },
    logger: pino({ level: 'silent' }),
  });
  return {
    url: server.url,
    target: new URL(server.url).host,
    lab,
    collector,
    async stop() {
      await server.close();
      await aap.stop();
      await lab.stop();
    },
  };
}

/**
 * The subnet map over the real AAP protocol: ap-A is the site's AAP (on its own address, serving
 * the lab's three rows); ap-B and ap-C run subnet map clients towards it, reporting their home
 * agents, and keep the lab's table.
 */
async function startAuthoritativeAccessPoint(
  lab: Lab,
  emit: (e: PmipEvent) => void,
): Promise<{ stop(): Promise<void> }> {
  const groupKey = 'engine-site-group-key-0123456789';
  const deps = { scheduler: realScheduler, random: seededRandom(77), emit };
  const server = await AapServer.start(
    {
      id: 'ap-A',
      address: AP('A'),
      port: 0,
      groupKey,
      rows: lab.subnetMap.rows().map((r) => ({ homeAgent: r.homeAgent, mask: r.mask })),
    },
    deps,
  );
  const peer = { id: 'ap-A', address: AP('A'), port: server.port };
  const clients = (['B', 'C'] as const).map(
    (s) =>
      new AapClient(
        {
          id: `ap-${s}`,
          address: AP(s),
          aaps: [peer],
          groupKey,
          homeAgent: { address: HA(s), mask: '255.255.255.0' },
        },
        { ...deps, table: lab.subnetMap },
      ),
  );
  for (const c of clients) await c.start();
  await waitUntil(() => clients.every((c) => c.status()[0]?.reachable === true), 'the AAP to answer', 5000);
  return {
    async stop() {
      await Promise.allSettled(clients.map((c) => c.stop()));
      await server.stop();
    },
  };
}

interface Client {
  mac: string;
  address: string;
  ssid: string;
}

const client = (n: number, address: string): Client => ({
  mac: `02:00:00:00:0a:${n.toString(16).padStart(2, '0')}`,
  address,
  ssid: 'corp',
});

/**
 * Ordinary traffic that puts a sample behind every dashboard query: clients at home and away
 * (bindings, visitors), a 133 and a time resync through the skewed access point, every kind of
 * move, a deregistration, renewals, and malformed datagrams at a home agent.
 */
export async function runBaselineTraffic(site: EngineSite): Promise<void> {
  const { lab } = site;
  const atHome = client(1, '127.0.1.40'); // home on A
  const roamer = client(2, '127.0.1.41'); // A -> B -> C -> A
  const visitorB = client(3, '127.0.3.42'); // home C, visiting B
  const visitorC = client(4, '127.0.2.43'); // home B, visiting C (skewed AP: 133 then resync)
  // A malformed datagram now and one at the end: its series appears with the first (there is no
  // series per error kind before one is seen), so the second is a rise a rate can show.
  await sendMalformedDatagram(HA('A'), lab.port);
  lab.ap('A').associate(atHome);
  lab.ap('A').associate(roamer);
  lab.ap('B').associate(visitorB);
  lab.ap('C').associate(visitorC);
  await lab.waitFor('reply-received', (e) => e.client.mac === visitorB.mac && e.accepted);
  await lab.waitFor('reply-received', (e) => e.client.mac === visitorC.mac && e.accepted);

  // home -> foreign
  lab.ap('A').disassociate(roamer.mac);
  lab.ap('B').associate(roamer);
  await lab.waitFor('reply-received', (e) => e.client.mac === roamer.mac && e.node === 'ap-B' && e.accepted);
  // foreign -> foreign (through the skewed access point, whose offset for ha-A is not known yet)
  lab.scheduler.advance(1_000);
  lab.ap('B').disassociate(roamer.mac);
  lab.ap('C').associate(roamer);
  await lab.waitFor('reply-received', (e) => e.client.mac === roamer.mac && e.node === 'ap-C' && e.accepted);
  // foreign -> home: deregistration and a gratuitous ARP
  lab.scheduler.advance(1_000);
  lab.ap('C').disassociate(roamer.mac);
  lab.ap('A').associate(roamer);
  await lab.waitFor(
    'reply-received',
    (e) => e.client.mac === roamer.mac && e.kind === 'deregistration' && e.accepted,
  );

  // Renewals: at 80% of the 600 s lifetime the access points re-register their visitors. The
  // clock stops just past that point, before any retransmission timer.
  lab.scheduler.advance(478_500);
  for (const c of [visitorB, visitorC])
    await lab.waitFor('reply-received', (e) => e.client.mac === c.mac && e.kind === 'renewal' && e.accepted);

  await settle(1500);
  await sendMalformedDatagram(HA('A'), lab.port);
  await settle(100);
}

/**
 * Runs the fake clock through an attempt's retransmissions (after 1, 2, 4 and 8 s: the access
 * points' defaults) so that every attempt started at the current fake time concludes, letting
 * the datagrams of each retransmission land before the next step.
 */
async function throughRetransmissions(site: EngineSite): Promise<void> {
  for (const step of [1000, 2000, 4000, 8000]) {
    site.lab.scheduler.advance(step);
    await settle(150);
  }
}

export interface DenialStormOptions {
  /**
   * Also run the fake clock through the retransmissions, so that each client's attempt ends: as
   * `unauthenticated` at the access point (every reply failed authentication). Default false:
   * the attempts stay pending, as before.
   */
  conclude?: boolean;
}

/**
 * A denial storm: `count` clients whose access point holds the wrong key associate at access
 * point B (visitors from subnet A); home agent ha-A denies every request with 131, and access
 * point B cannot authenticate those replies. Resolves with the number of 131 denials once every
 * client has been denied at least once (and, with `conclude`, once every attempt has ended).
 */
export async function injectDenialStorm(
  site: EngineSite,
  count = 20,
  options: DenialStormOptions = {},
): Promise<number> {
  const { lab } = site;
  const clients = STORM_ADDRESSES.slice(0, count).map((address, i) => client(0x80 + i, address));
  for (const c of clients) lab.ap('B').associate(c);
  for (const c of clients)
    await lab.waitFor('request-denied', (e) => e.code === 131 && e.homeAddress === c.address);
  await settle(50);
  if (options.conclude) {
    await throughRetransmissions(site);
    for (const c of clients)
      await lab.waitFor(
        'registration-outcome',
        (e) => e.client.mac === c.mac && e.outcome === 'unauthenticated',
      );
  }
  return lab.recorder.of('request-denied').filter((e) => e.code === 131).length;
}

/**
 * A foreign agent denial: foreign agent fa-C lowers its longest lifetime to 300 s after it has
 * advertised 600 s (a reconfigured router), and one client from subnet A associates at access
 * point C. fa-C denies the request with 69 (lifetime too long), the access point retries with
 * the lifetime the denial names and is accepted. fa-C keeps the lower limit. Resolves with the
 * number of 69 denials the access points received.
 */
export async function injectLifetimeDenial(site: EngineSite): Promise<number> {
  const { lab } = site;
  lab.fa('C').config.maxLifetime = 300;
  const c = client(0x50, '127.0.1.50');
  lab.ap('C').associate(c);
  await lab.waitFor('reply-received', (e) => e.client.mac === c.mac && e.code === 69);
  await lab.waitFor('reply-received', (e) => e.client.mac === c.mac && e.accepted);
  return lab.recorder.of('reply-received').filter((e) => e.code === 69).length;
}

/** Home addresses (subnet B, so home agent ha-B) of the clients that meet the silent home agent. */
export const SILENT_HA_ADDRESSES: readonly string[] = Array.from(
  { length: 8 },
  (_v, i) => `127.0.2.${60 + i}`,
);

/**
 * A silent home agent (the demo's fault): home agent ha-B stops (nothing answers on its address),
 * `count` clients from subnet B associate at access point A as visitors, and the fake clock runs
 * through every retransmission until each attempt has timed out. Then ha-B starts again on the
 * same address and port, with an empty binding table, as after a reboot. Resolves with the number
 * of attempts that timed out.
 */
export async function silenceHomeAgent(site: EngineSite, count = 3): Promise<number> {
  const { lab } = site;
  await lab.ha('B').stop();
  const clients = SILENT_HA_ADDRESSES.slice(0, count).map((address, i) => client(0x60 + i, address));
  for (const c of clients) lab.ap('A').associate(c);
  await settle(100);
  await throughRetransmissions(site);
  for (const c of clients)
    await lab.waitFor('registration-outcome', (e) => e.client.mac === c.mac && e.outcome === 'timeout');
  await lab.startHomeAgent('B');
  return lab.recorder
    .of('registration-outcome')
    .filter((e) => e.outcome === 'timeout' && clients.some((c) => c.mac === e.client.mac)).length;
}

/** A datagram too short to be any Mobile IP message: the receiver counts it as malformed. */
async function sendMalformedDatagram(address: string, port: number): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) =>
    s.send(Buffer.from([1, 0, 0]), port, address, (err) => (err ? reject(err) : resolve())),
  );
  await new Promise<void>((resolve) => s.close(() => resolve()));
}
