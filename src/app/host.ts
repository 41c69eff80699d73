import type { Logger } from 'pino';
import { Collector } from '../collector/collector.ts';
import type { CollectorConfig } from '../collector/config.ts';
import { startExporterServer, type ExporterServer } from '../exporters/http-server.ts';
import type { ExporterActions, ExporterViews } from '../exporters/api.ts';
import { EventBus } from '../pmip/event-bus.ts';
import type { PmipEvent } from '../pmip/events.ts';
import { HomeAgent, type HomeAgentConfig } from '../pmip/agents/home-agent.ts';
import { ForeignAgent, type ForeignAgentConfig } from '../pmip/agents/foreign-agent.ts';
import { AccessPoint, type AccessPointConfig, type ClientLocation } from '../pmip/proxy/access-point.ts';
import { SimulatedDataPlane, type DataPlane } from '../pmip/runtime/data-plane.ts';
import type { Scheduler } from '../pmip/runtime/scheduler.ts';
import type { SecurityAssociationProvider } from '../pmip/security/store.ts';
import type { SubnetMapTable } from '../pmip/subnet-map/table.ts';
import type { RandomSource } from '../pmip/wire/identification.ts';

/**
 * One process's PMIP site: the access points on this host (and, in the demo and the lab, the
 * home and foreign agents too), one event bus, the collector fed from it, and the exporter
 * server. Used by `pmip-exporter demo` and `pmip-exporter run`.
 */
export interface HostOptions {
  accessPoints: AccessPointConfig[];
  /** Lab peers run in this process (the demo). */
  homeAgents?: HomeAgentConfig[];
  foreignAgents?: ForeignAgentConfig[];
  /** The access points' SA source. */
  securityAssociations: SecurityAssociationProvider;
  /** The subnet map the access points on this host use (and the pages show). */
  subnetMap: SubnetMapTable;
  /** A table of its own per access point (each kept by its own AAP client), when given. */
  subnetMapFor?: (accessPointId: string) => SubnetMapTable | undefined;
  /** Per access point id: a scheduler of its own (a skewed clock in the demo). */
  schedulerFor?: (accessPointId: string) => Scheduler | undefined;
  scheduler: Scheduler;
  random: RandomSource;
  exporter: { host: string; port: number; webConfigFile?: string };
  actions?: ExporterActions;
  /** The exporter's own parts (the InfluxDB writer), shown on /metrics, the pages and the JSON. */
  views?: ExporterViews;
  logger: Logger;
  collector?: Partial<CollectorConfig>;
  /** Extra event subscribers (tests, logs). */
  subscribers?: Array<(e: PmipEvent) => void>;
  dataPlane?: DataPlane;
}

export interface Host {
  readonly bus: EventBus;
  readonly collector: Collector;
  readonly server: ExporterServer;
  readonly accessPoints: Map<string, AccessPoint>;
  readonly homeAgents: Map<string, HomeAgent>;
  readonly foreignAgents: Map<string, ForeignAgent>;
  readonly locations: Map<string, ClientLocation>;
  readonly url: string;
  /** Graceful stop: in-flight registrations get `graceMs` to finish, then everything closes. */
  stop(graceMs?: number): Promise<void>;
}

export async function startHost(o: HostOptions): Promise<Host> {
  const bus = new EventBus();
  const collector = new Collector({
    accessPoints: o.accessPoints.map((a) => a.id),
    homeAgents: (o.homeAgents ?? []).map((h) => ({ id: h.id, address: h.address })),
    foreignAgents: (o.foreignAgents ?? []).map((f) => ({ id: f.id, address: f.address })),
    ...o.collector,
    views: {
      securityAssociations: () => o.securityAssociations.describe(),
      subnetMap: () => o.subnetMap.rows(),
      ...o.collector?.views,
    },
  });
  bus.subscribe(collector.ingest);
  for (const s of o.subscribers ?? []) bus.subscribe(s);
  // A RADIUS SA provider reports its lookups on the bus too.
  (o.securityAssociations as { attachEvents?: (emit: (e: PmipEvent) => void) => void }).attachEvents?.(
    bus.emit,
  );

  const homeAgents = new Map<string, HomeAgent>();
  const foreignAgents = new Map<string, ForeignAgent>();
  const accessPoints = new Map<string, AccessPoint>();
  const locations = new Map<string, ClientLocation>();
  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    for (const cfg of o.homeAgents ?? []) {
      const ha = await HomeAgent.start(cfg, { scheduler: o.scheduler, random: o.random, emit: bus.emit });
      homeAgents.set(cfg.id, ha);
      started.push(ha);
    }
    for (const cfg of o.accessPoints) {
      const ap = await AccessPoint.start(cfg, {
        scheduler: o.schedulerFor?.(cfg.id) ?? o.scheduler,
        random: o.random,
        emit: bus.emit,
        dataPlane: o.dataPlane ?? new SimulatedDataPlane(1000),
        securityAssociations: o.securityAssociations,
        subnetMap: o.subnetMapFor?.(cfg.id) ?? o.subnetMap,
        locations,
      });
      accessPoints.set(cfg.id, ap);
      started.push(ap);
    }
    for (const cfg of o.foreignAgents ?? []) {
      const fa = await ForeignAgent.start(cfg, { scheduler: o.scheduler, random: o.random, emit: bus.emit });
      foreignAgents.set(cfg.id, fa);
      started.push(fa);
    }
    const server = await startExporterServer({
      collector,
      listen: { host: o.exporter.host, port: o.exporter.port },
      logger: o.logger,
      ...(o.exporter.webConfigFile ? { webConfigFile: o.exporter.webConfigFile } : {}),
      ...(o.actions ? { actions: o.actions } : {}),
      ...(o.views ? { views: o.views } : {}),
    });
    let stopping: Promise<void> | undefined;
    return {
      bus,
      collector,
      server,
      accessPoints,
      homeAgents,
      foreignAgents,
      locations,
      url: server.url,
      stop(graceMs = 1000) {
        stopping ??= (async () => {
          // Let registrations in flight be answered (or time out) before the sockets close.
          await new Promise((r) => setTimeout(r, Math.max(0, graceMs)));
          await Promise.allSettled([...accessPoints.values()].map((ap) => ap.stop()));
          await Promise.allSettled([...foreignAgents.values(), ...homeAgents.values()].map((x) => x.stop()));
          await server.close();
          await (o.securityAssociations as { close?: () => Promise<void> }).close?.();
        })();
        return stopping;
      },
    };
  } catch (e) {
    await Promise.allSettled(started.map((s) => s.stop()));
    throw e;
  }
}
