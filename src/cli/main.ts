/**
 * The `pmip-exporter` command line. Each command group lives in its own module and registers
 * itself on the program.
 */
import { Command, CommanderError } from 'commander';
import { registerWireCommands } from './wire.ts';
import { registerDemoCommand } from './demo.ts';
import { registerConfigCommands } from './config.ts';
import { registerRunCommand } from './run.ts';
import { registerObserveCommand } from './observe.ts';
import { CliError } from './errors.ts';

export function buildProgram(): Command {
  const program = new Command('pmip-exporter')
    .description('Proxy Mobile IP engine with Prometheus, InfluxDB and web statistics')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();

  registerDemoCommand(program);
  registerWireCommands(program);
  registerConfigCommands(program);
  registerRunCommand(program);
  registerObserveCommand(program);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // commander already printed its message (usage errors, --help, --version)
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else if (e instanceof CliError) {
    console.error(`pmip-exporter: ${e.message}`);
    process.exitCode = e.exitCode;
  } else {
    console.error(`pmip-exporter: unexpected error: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}
