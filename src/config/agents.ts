/** `homeAgents[]` and `foreignAgents[]`: the agents this process hosts (labs, small sites). */
import { z } from 'zod';
import {
  ADVERTISEMENT_DEFAULTS as ADV,
  FOREIGN_AGENT_DEFAULTS as FA,
  HOME_AGENT_DEFAULTS as HA,
} from './defaults.ts';
import { cidr, endpointWithPort, ipv4, isAddressOrPrefix, lifetimeSeconds, nodeId, port } from './fields.ts';
import { localBindingSchema, perNodeFields } from './security-associations.ts';

/** The encapsulations an agent offers besides IP-in-IP (GRE, minimal), each with its default. */
const encapsulations = (d: { readonly gre: boolean; readonly minimal: boolean }) =>
  z
    .object({ gre: z.boolean().default(d.gre), minimal: z.boolean().default(d.minimal) })
    .strict()
    .default({ ...d });

/** Agent advertisements (RFC 5944 section 2) over UDP: loopback and labs have no ICMP link. */
const advertisementFields = {
  intervalMs: z.number().int().min(0).max(3_600_000).default(ADV.intervalMs),
  peers: z.array(endpointWithPort).default([]),
  port: port.default(ADV.port),
  initialSequence: z.number().int().min(0).max(65535).default(ADV.initialSequence),
};

/** A home agent this process hosts (a lab peer or a small site's own), after RFC 5944 section 3.8. */
export const homeAgentSchema = z
  .object({
    id: nodeId,
    address: ipv4,
    port: port.default(HA.port),
    subnet: cidr,
    listenOnBroadcast: z.boolean().default(HA.listenOnBroadcast),
    maxLifetime: lifetimeSeconds.default(HA.maxLifetime),
    simultaneousBindings: z.boolean().default(HA.simultaneousBindings),
    maxSimultaneousBindings: z.number().int().min(1).max(255).default(HA.maxSimultaneousBindings),
    encapsulations: encapsulations(HA.encapsulations),
    reverseTunnel: z.boolean().default(HA.reverseTunnel),
    // Absent: the file's securityAssociations.local bindings serve this home agent.
    securityAssociations: z.array(localBindingSchema).optional(),
    // Proxy mode (RFC 5563): requests with extension 47 are checked with 34 and one of these.
    perNodeSecurityAssociations: z.array(z.object(perNodeFields).strict()).optional(),
    advertisements: z.object(advertisementFields).strict().optional(),
  })
  .strict();

/** A foreign agent this process hosts, after RFC 5944 section 3.7. */
export const foreignAgentSchema = z
  .object({
    id: nodeId,
    address: ipv4,
    port: port.default(FA.port),
    careOfAddress: ipv4.optional(),
    maxLifetime: lifetimeSeconds.default(FA.maxLifetime),
    encapsulations: encapsulations(FA.encapsulations),
    reverseTunnel: z.boolean().default(FA.reverseTunnel),
    homeAgentPort: port.default(FA.homeAgentPort),
    pendingTimeoutMs: z.number().int().min(100).max(600_000).default(FA.pendingTimeoutMs),
    maxPending: z.number().int().min(1).max(1_000_000).default(FA.maxPending),
    maxPendingPerSource: z.number().int().min(1).max(1_000_000).optional(),
    maxPendingPerHomeAgent: z.number().int().min(1).max(1_000_000).optional(),
    maxVisitors: z.number().int().min(1).max(1_000_000).default(FA.maxVisitors),
    servedHomeAgents: z
      .array(z.string().refine(isAddressOrPrefix, { message: 'must be an IPv4 address or a.b.c.d/N' }))
      .min(1, 'at least one address or prefix when given')
      .optional(),
    // Token buckets on relayed requests (over them: 66); defaults: FA.relayRateLimit (applied by the agent).
    relayRateLimit: z
      .object({
        perSourcePerSecond: z.number().positive('must be above 0').max(1_000_000).optional(),
        perSourceBurst: z.number().int().min(1).max(10_000_000).optional(),
        overallPerSecond: z.number().positive('must be above 0').max(1_000_000).optional(),
        overallBurst: z.number().int().min(1).max(10_000_000).optional(),
      })
      .strict()
      .optional(),
    advertisements: z
      .object({
        ...advertisementFields,
        registrationRequired: z.boolean().default(ADV.registrationRequired),
        busy: z.boolean().default(ADV.busy),
        // Absent: udp.
        transport: z.enum(['udp', 'icmp']).optional(),
        icmpTo: z.array(ipv4).min(1, 'at least one address when given').optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
