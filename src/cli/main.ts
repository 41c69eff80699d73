/**
 * The `pmip-exporter` command line. Each command group lives in its own module and registers
 * itself on the program.
 */
import { Command } from 'commander';
import { registerWireCommands } from './wire.ts';

export function buildProgram(): Command {
  const program = new Command('pmip-exporter')
    .description('Proxy Mobile IP engine with Prometheus, InfluxDB and web statistics')
    .version('0.1.0')
    .showHelpAfterError();

  program
    .command('demo')
    .description('run the embedded demo site (access points, agents and roaming clients on loopback)')
    .action(() => {
      console.log(
        'pmip-exporter: the demo site is not built yet (see the open issues); try `pmip-exporter wire --help`.',
      );
    });

  registerWireCommands(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
