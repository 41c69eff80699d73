import type { Command } from 'commander';
import { ConfigError, loadSiteConfig } from '../config/load.ts';
import type { SiteConfig } from '../config/schema.ts';
import { siteSecurityAssociations } from '../app/security-associations.ts';
import { realScheduler } from '../pmip/runtime/scheduler.ts';
import { SecurityAssociationUnavailable, describedFields } from '../pmip/security/store.ts';
import { isIpv4 } from '../pmip/wire/ipv4.ts';
import { CliError } from './errors.ts';

/** `pmip-exporter config validate FILE` and `pmip-exporter sa lookup ADDRESS --config FILE`. */
export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('work with the site configuration file');
  config
    .command('validate')
    .description('check a configuration file: every problem, each naming its field and rule (exit 2 if any)')
    .argument('<file>', 'YAML configuration file')
    .action((file: string) => {
      const site = loadOrExplain(file);
      const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
      const hosted = [
        ...(site.homeAgents.length > 0 ? [count(site.homeAgents.length, 'home agent')] : []),
        ...(site.foreignAgents.length > 0 ? [count(site.foreignAgents.length, 'foreign agent')] : []),
      ];
      console.log(
        `${file}: valid (${count(site.accessPoints.length, 'access point')}, ` +
          `${count(site.securityAssociations.local.length, 'local SA binding')}` +
          `${site.securityAssociations.radius ? ', RADIUS' : ''}` +
          `${hosted.length > 0 ? `, hosting ${hosted.join(' and ')}` : ''})`,
      );
    });

  program
    .command('sa')
    .description('security associations')
    .command('lookup')
    .description(
      'which security association serves a client address, and where it comes from (never the key)',
    )
    .argument('<address>', 'client IPv4 address')
    .requiredOption('--config <file>', 'YAML configuration file')
    .option('--json', 'print JSON')
    .option('--nai <nai>', 'the client NAI, for RADIUS servers asked by NAI (userName: nai)')
    .option('--no-radius', 'look at the local bindings only')
    .action(
      async (address: string, opts: { config: string; json?: boolean; nai?: string; radius: boolean }) => {
        if (!isIpv4(address)) throw new CliError(`address: "${address}" is not a dotted-quad IPv4 address`);
        const site = loadOrExplain(opts.config);
        const result = await lookUpSecurityAssociation(site, address, {
          radius: opts.radius,
          ...(opts.nai !== undefined ? { nai: opts.nai } : {}),
        });
        if (opts.json) console.log(JSON.stringify(result));
        else console.log(result.text);
        if (!result.found) process.exitCode = 1;
      },
    );
}

/** What `sa lookup` prints: where the SA came from and everything but the key. */
export interface SaLookupResult {
  address: string;
  found: boolean;
  text: string;
  spi?: number;
  algorithm?: string;
  replay?: string;
  replayWindowSeconds?: number;
  scope?: string;
  source?: 'local' | 'radius';
  server?: string;
  attributeStyle?: string;
  homeAgent?: string;
  /** Not found after asking RADIUS: why (rejected, timeout, malformed, bad-authenticator). */
  cause?: string;
  /** The RADIUS servers configured, in order (names only). */
  radius: string[] | null;
}

/**
 * The SA the access points would use for `address`, asking in the configured order; RADIUS is
 * asked past the cache (there is none in a one-shot command). Never the key, secret or password.
 */
export async function lookUpSecurityAssociation(
  site: SiteConfig,
  address: string,
  o: { radius?: boolean; nai?: string } = {},
): Promise<SaLookupResult> {
  const radiusConfig = o.radius === false ? undefined : site.securityAssociations.radius;
  const sas = siteSecurityAssociations({ ...site.securityAssociations, radius: radiusConfig }, realScheduler);
  const servers = sas.radius ? sas.radius.servers.map((s) => s.name) : null;
  try {
    const found = await sas.accessPoints.lookup(address, {
      bypassCache: true,
      ...(o.nai !== undefined ? { nai: o.nai } : {}),
    });
    if (!found) {
      return {
        address,
        found: false,
        radius: servers,
        text: `${address}: no security association (no local binding covers it${
          site.securityAssociations.radius && o.radius === false
            ? '; RADIUS not asked (--no-radius)'
            : ' and no RADIUS server is configured'
        })`,
      };
    }
    const d = found.description;
    const from =
      d.source === 'radius'
        ? `source radius server ${d.server ?? '?'} (${d.attributeStyle ?? '?'} attributes${d.homeAgent !== undefined ? `, home agent ${d.homeAgent}` : ''})`
        : `source local binding ${d.scope}`;
    return {
      address,
      found: true,
      radius: servers,
      ...describedFields(d),
      text:
        `${address}: SPI ${d.spi}, algorithm ${d.algorithm}, replay ${d.replay}` +
        `${d.replay === 'timestamp' ? ` (window ${d.replayWindowSeconds} s)` : ''}, ${from}`,
    };
  } catch (e) {
    if (!(e instanceof SecurityAssociationUnavailable)) throw e;
    return {
      address,
      found: false,
      radius: servers,
      cause: e.reason,
      server: e.server,
      text: `${address}: no security association: ${e.message}`,
    };
  } finally {
    sas.local.clear();
    await sas.radius?.close();
  }
}

function loadOrExplain(file: string) {
  try {
    return loadSiteConfig(file);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, 2);
    throw e;
  }
}
