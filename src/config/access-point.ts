/** `accessPoints[]`: the access points this process runs (the proxy of RFC 5944 section 3.7 style registration). */
import { z } from 'zod';
import { ACCESS_POINT_DEFAULTS as D, SSID_DEFAULTS } from './defaults.ts';
import { cidr, endpoint, ipv4, nodeId, port } from './fields.ts';

export const ssidSchema = z
  .object({
    name: z.string().min(1, 'must not be empty').max(32, 'at most 32 characters (802.11 SSID)'),
    pmip: z.boolean().default(SSID_DEFAULTS.pmip),
    vlan: z.number().int().min(1).max(4094).optional(),
  })
  .strict();

export const accessPointSchema = z
  .object({
    id: nodeId,
    address: ipv4,
    subnet: cidr,
    mode: z.enum(['root', 'repeater']).default(D.mode),
    pmip: z.boolean().default(D.pmip),
    ssids: z.array(ssidSchema).default([]),
    vlans: z.array(z.number().int().min(1).max(4094)).default([]),
    aaps: z.array(endpoint).default([]),
    registrationPort: port.default(D.registrationPort),
    advertisementPort: port.default(D.advertisementPort),
    homeAgentPort: port.default(D.homeAgentPort),
    foreignAgentPort: port.default(D.foreignAgentPort),
    foreignAgent: z
      .object({
        // The foreign agent's display name (its label in /metrics and the pages).
        name: nodeId.optional(),
        address: ipv4,
        port: port.default(D.foreignAgentServicePort),
        careOfAddress: ipv4.optional(),
        maxLifetime: z.number().int().min(1).max(65535).optional(),
      })
      .strict()
      .optional(),
    // No foreign agent: register directly with the home agent, own address as care-of (D flag).
    colocatedCareOfAddress: z.boolean().default(D.colocatedCareOfAddress),
    // Agent discovery over UDP (loopback, labs) or real ICMP on the interface of `address`.
    discovery: z.enum(['udp', 'icmp']).default(D.discovery),
    icmpSolicitTo: z.array(ipv4).min(1, 'at least one address when given').optional(),
    solicitTo: z.array(endpoint).default([]),
    // Agent advertisements are heard only from these addresses (in order of preference) when set.
    allowedAgents: z.array(ipv4).min(1, 'at least one address when given').optional(),
    lifetime: z.number().int().min(1).max(65534).default(D.lifetime),
    retransmitInitialMs: z
      .number()
      .int()
      .min(1000, 'must be at least 1000 (RFC 5944: first retry no sooner than 1 s)')
      .default(D.retransmitInitialMs),
    retransmitMaxMs: z.number().int().min(1000).default(D.retransmitMaxMs),
    maxRetransmissions: z.number().int().min(0).max(10).default(D.maxRetransmissions),
    renewFraction: z
      .number()
      .gt(0)
      .lt(1, 'must be below 1: re-registration starts before the lifetime ends')
      .default(D.renewFraction),
    reverseTunnel: z.boolean().default(D.reverseTunnel),
    gre: z.boolean().default(D.gre),
  })
  .strict();
