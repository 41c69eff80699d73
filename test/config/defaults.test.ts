import { describe, expect, it } from 'vitest';
import {
  accessPointSchema,
  foreignAgentSchema,
  homeAgentSchema,
  localBindingSchema,
  radiusSchema,
  siteSchema,
} from '../../src/config/schema.ts';
import {
  ACCESS_POINT_DEFAULTS,
  FOREIGN_AGENT_DEFAULTS,
  HOME_AGENT_DEFAULTS,
  LOGGING_DEFAULTS,
  PROMETHEUS_DEFAULTS,
  RADIUS_DEFAULTS,
  SECURITY_ASSOCIATION_DEFAULTS,
  SITE_DEFAULTS,
} from '../../src/config/defaults.ts';

/** The fields of `parsed` that `defaults` names (so extra constants such as ports for messages are skipped). */
function picked(parsed: Record<string, unknown>, defaults: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(defaults)
      .filter((k) => k in parsed)
      .map((k) => [k, parsed[k]]),
  );
}
function inSchema(
  defaults: Record<string, unknown>,
  parsed: Record<string, unknown>,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(defaults).filter(([k]) => k in parsed));
}

describe('configuration defaults (src/config/defaults.ts) are what the schema fills in', () => {
  it('access point', () => {
    const ap = accessPointSchema.parse({ id: 'ap-1', address: '10.1.0.2', subnet: '10.1.0.0/24' });
    expect(picked(ap, ACCESS_POINT_DEFAULTS)).toEqual(inSchema(ACCESS_POINT_DEFAULTS, ap));
    // The values a reader of docs/configuration.md expects, not only the constants themselves.
    expect([ap.lifetime, ap.retransmitInitialMs, ap.retransmitMaxMs, ap.maxRetransmissions]).toEqual([
      600, 1000, 16000, 3,
    ]);
    expect(Object.keys(picked(ap, ACCESS_POINT_DEFAULTS)).length).toBeGreaterThan(12);
    const withFa = accessPointSchema.parse({
      id: 'ap-1',
      address: '10.1.0.2',
      subnet: '10.1.0.0/24',
      foreignAgent: { address: '10.1.0.3' },
    });
    expect(withFa.foreignAgent?.port).toBe(ACCESS_POINT_DEFAULTS.foreignAgentServicePort);
  });

  it('home and foreign agents', () => {
    const ha = homeAgentSchema.parse({ id: 'ha', address: '10.9.0.1', subnet: '10.9.0.0/16' });
    expect(picked(ha, HOME_AGENT_DEFAULTS)).toEqual({ ...HOME_AGENT_DEFAULTS });
    const fa = foreignAgentSchema.parse({ id: 'fa', address: '10.1.0.3' });
    const { relayRateLimit: _applied, ...faSchemaDefaults } = FOREIGN_AGENT_DEFAULTS;
    expect(picked(fa, faSchemaDefaults)).toEqual(faSchemaDefaults);
    // The relay limits are applied by the agent, not written into the parsed file.
    expect(fa.relayRateLimit).toBeUndefined();
    expect([ha.maxLifetime, fa.pendingTimeoutMs, fa.maxVisitors]).toEqual([1800, 7000, 10_000]);
  });

  it('security associations and RADIUS', () => {
    const b = localBindingSchema.parse({ address: '10.9.0.5', spi: 300, key: '00'.repeat(16) });
    expect(picked(b, SECURITY_ASSOCIATION_DEFAULTS)).toEqual({ ...SECURITY_ASSOCIATION_DEFAULTS });
    const r = radiusSchema.parse({ server: '127.0.0.1', secret: 's3cret-xx', password: 'pw' });
    expect(picked(r, RADIUS_DEFAULTS)).toEqual(inSchema(RADIUS_DEFAULTS, r));
    expect(Object.keys(picked(r, RADIUS_DEFAULTS)).length).toBe(12);
  });

  it('site, exporters and logging', () => {
    const site = siteSchema.parse({
      homeAgents: [{ id: 'ha', address: '10.9.0.1', subnet: '10.9.0.0/16' }],
      securityAssociations: { local: [{ address: '10.9.0.5', spi: 300, key: '00'.repeat(16) }] },
    });
    expect(site.site).toEqual(SITE_DEFAULTS);
    expect(site.exporters.prometheus).toEqual(PROMETHEUS_DEFAULTS);
    expect(site.logging).toEqual(LOGGING_DEFAULTS);
  });
});
