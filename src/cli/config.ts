import type { Command } from 'commander';
import { ConfigError, loadSiteConfig } from '../config/load.ts';
import { LocalSecurityAssociations } from '../pmip/security/store.ts';
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
    .action((address: string, opts: { config: string; json?: boolean }) => {
      if (!isIpv4(address)) throw new CliError(`address: "${address}" is not a dotted-quad IPv4 address`);
      const site = loadOrExplain(opts.config);
      const local = new LocalSecurityAssociations(
        site.securityAssociations.local.map((b) => ({ ...b, keyHex: b.key })),
      );
      const found = local.lookup(address);
      if (!found) {
        const radius = site.securityAssociations.radius;
        const text = radius
          ? `${address}: no local binding; the SA would be requested from RADIUS ${radius.server}`
          : `${address}: no security association (no local binding covers it and no RADIUS server is configured)`;
        if (opts.json)
          console.log(JSON.stringify({ address, found: false, radius: radius ? radius.server : null }));
        else console.log(text);
        process.exitCode = 1;
        return;
      }
      const d = found.description;
      if (opts.json) console.log(JSON.stringify({ address, found: true, ...d }));
      else
        console.log(
          `${address}: SPI ${d.spi}, algorithm ${d.algorithm}, replay ${d.replay}` +
            `${d.replay === 'timestamp' ? ` (window ${d.replayWindowSeconds} s)` : ''}, source ${d.source} binding ${d.scope}`,
        );
    });
}

function loadOrExplain(file: string) {
  try {
    return loadSiteConfig(file);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, 2);
    throw e;
  }
}
