/**
 * The two lab examples, each in its own `pmip-exporter run` process (test/support/two-process-site.ts):
 * examples/lab-agents.yaml hosts two home agents and two foreign agents, and
 * examples/site-external-agents.yaml runs two access points that use them. Two clients attached
 * through the association API are registered: each with the right home agent of the lab process
 * (pmip_ha_registrations_accepted_total by the lab's names), and the site process counts the
 * accepted registrations and names the lab's agents. A client with no home agent in the subnet map
 * gets an info log line naming it. Both stop by PID, exit 0, and never print a key or the token.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  LAB_CLIENTS,
  LAB_EXAMPLE,
  SITE_EXAMPLE,
  sampleValue,
  startTwoProcessSite,
  type TwoProcessSite,
} from '../support/two-process-site.ts';

const KEYS = [LAB_EXAMPLE, SITE_EXAMPLE].flatMap((f) =>
  [...readFileSync(f, 'utf8').matchAll(/key: ([0-9a-f]{32})/g)].map((m) => m[1]!),
);
const GROUP_KEY = String(
  (parse(readFileSync(SITE_EXAMPLE, 'utf8')) as { aap: { groupKey: string } }).aap.groupKey,
);

let running: TwoProcessSite | undefined;
afterAll(async () => {
  await running?.stop();
});

describe('the two-process lab of examples/lab-agents.yaml and examples/site-external-agents.yaml', () => {
  it('registers clients of the lab home agents through the site access points and the lab foreign agents', async () => {
    const lab = (running = await startTwoProcessSite());
    expect(lab.lab.stdout()).toMatch(
      /^pmip-exporter ready: .* \(site pmip-lab, 0 access points, 2 home agents, 2 foreign agents\)$/m,
    );
    expect(lab.site.stdout()).toMatch(/^pmip-exporter ready: .* \(site campus-east, 2 access points\)$/m);
    expect(
      lab.lab
        .logs()
        .filter((l) => /agent started$/.test(String(l.msg)))
        .map((l) => l.msg),
    ).toEqual(['home agent started', 'home agent started', 'foreign agent started', 'foreign agent started']);

    // The first client (ha-lab-1, via ap-east and fa-east): accepted by ha-lab-1, and by no other.
    const [first, second] = LAB_CLIENTS;
    const attached = await lab.attach(first);
    expect(attached.status).toBe(201);
    expect(attached.body).toMatchObject({ proxied: true, client: { mac: first.mac } });
    await lab.waitForSample(
      'lab',
      'pmip_ha_registrations_accepted_total',
      { home_agent: 'ha-lab-1' },
      (v) => v > 0,
    );
    const labMetrics = await lab.metrics('lab');
    expect(sampleValue(labMetrics, 'pmip_ha_registrations_accepted_total', { home_agent: 'ha-lab-2' })).toBe(
      0,
    );
    expect(
      sampleValue(labMetrics, 'pmip_fa_registration_requests_relayed_total', { foreign_agent: 'fa-east' }),
    ).toBe(1);

    // The second client (ha-lab-2, via ap-west and fa-west).
    expect((await lab.attach(second)).status).toBe(201);
    await lab.waitForSample(
      'lab',
      'pmip_ha_registrations_accepted_total',
      { home_agent: 'ha-lab-2' },
      (v) => v > 0,
    );

    // The site process: accepted registrations on both access points, clients registered with the
    // lab's home agents, which it labels by the names of its subnet map rows.
    for (const ap of ['ap-east', 'ap-west'])
      await lab.waitForSample(
        'site',
        'pmip_mn_registrations_accepted_total',
        { access_point: ap },
        (v) => v > 0,
      );
    const clients = (await (await fetch(`${lab.site.url}/api/v1/clients`)).json()) as {
      clients: Array<{ mac: string; state: string; homeAgent?: string; careOfAddress?: string }>;
    };
    expect(clients.clients.map((c) => [c.mac, c.state, c.homeAgent, c.careOfAddress]).sort()).toEqual([
      [first.mac, 'registered', '127.201.0.1', '127.211.0.2'],
      [second.mac, 'registered', '127.202.0.1', '127.212.0.2'],
    ]);
    const siteMetrics = await lab.metrics('site');
    expect(siteMetrics).toContain('home_agent="ha-lab-1"');
    expect(siteMetrics).toContain('home_agent="ha-lab-2"');
    expect(siteMetrics).not.toContain('home_agent="127.201.0.1"');

    // A client whose home network has no subnet map row: one info line naming it and the cause.
    expect(
      (await lab.attach({ mac: '02:00:00:00:01:09', address: '127.209.0.9', accessPoint: 'ap-east' })).status,
    ).toBe(201);
    let line: Record<string, unknown> | undefined;
    for (const deadline = Date.now() + 5000; !line && Date.now() < deadline;) {
      line = lab.site.logs().find((l) => l.event === 'registration-outcome' && l.level === 30);
      if (!line) await new Promise((r) => setTimeout(r, 50));
    }
    expect(line).toMatchObject({
      accessPoint: 'ap-east',
      client: '02:00:00:00:01:09',
      clientAddress: '127.209.0.9',
      outcome: 'discarded',
      reason: 'no-home-agent',
    });
    expect(String(line!.msg)).toMatch(/^registration discarded: /);

    const { lab: labCode, site: siteCode } = await lab.stop();
    running = undefined;
    expect(labCode).toBe(0);
    expect(siteCode).toBe(0);
    // Only the one deliberate failure was logged as a problem.
    const problems = [...lab.lab.logs(), ...lab.site.logs()].filter(
      (l) => typeof l.event === 'string' && l.level === 30,
    );
    expect([...new Set(problems.map((l) => l.client))]).toEqual(['02:00:00:00:01:09']);
    for (const secret of [...KEYS, lab.token, GROUP_KEY])
      for (const out of [lab.lab.stdout(), lab.lab.stderr(), lab.site.stdout(), lab.site.stderr()])
        expect(out).not.toContain(secret);
    expect(KEYS).toHaveLength(4);
  });
});
