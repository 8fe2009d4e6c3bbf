#!/usr/bin/env node
// The `jplink` command line.
import { parseArgs } from 'node:util';
import { createProgress } from './progress.ts';
import { DEFAULT_PORT_BASE } from './devnet/ports.ts';
import { CommandError } from './admin-api.ts';
import { runAdapterCommand } from './adapter-config.ts';
import { runSsCommand } from './ss-config.ts';
// devnet (the Center, Security Servers, the embedded database) and the verifier load only when
// their command runs: `jplink verify`, `jplink ss` and `jplink adapter` start without the devnet's
// dependencies.

const USAGE = `Usage: jplink <command> [options]

Commands:
  devnet     Start the local JP-Link network (embedded database; state kept in --home)
  ss         Set up a Security Server's clients, services and access rights (jplink ss --help)
  adapter    Set up an Adapter Server's connections, Sub System Codes and Data Services, and
             publish them to the Security Server (jplink adapter --help)
  verify     Check message-log archives and evidence files offline (jplink verify --help):
             jplink verify --root <root-ca.pem> [--root …] [--json] FILE…

devnet options:
  --home <dir>          where state and the manifest live (default .jplink)
  --port-base <n>       first port of the network (default ${DEFAULT_PORT_BASE})
  --host <address>      address to listen on and publish (default 127.0.0.1)
  --instance <code>     instance identifier (default JP-DEV)
  --log-level <level>   service log level (default warn)
`;

async function devnet(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      home: { type: 'string', default: '.jplink' },
      'port-base': { type: 'string', default: String(DEFAULT_PORT_BASE) },
      host: { type: 'string', default: '127.0.0.1' },
      instance: { type: 'string', default: 'JP-DEV' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const portBase = Number(values['port-base']);
  if (!Number.isInteger(portBase) || portBase < 1024 || portBase > 65_000) throw new UsageError('--port-base must be an integer between 1024 and 65000');
  const { describeDevnet, startDevnet } = await import('./devnet/devnet.ts');
  const progress = createProgress();
  progress.info(`Starting the JP-Link devnet (state in ${values.home})`);
  const network = await startDevnet(
    { home: values.home, portBase, host: values.host, instance: values.instance, logLevel: values['log-level'] },
    progress,
  );
  process.stdout.write(`${describeDevnet(network, progress.elapsed())}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    progress.info(`\n${signal}: stopping the devnet…`);
    network.stop().then(
      () => {
        progress.info('devnet stopped.');
        process.exit(0);
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

class UsageError extends Error {}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'devnet':
      return devnet(rest);
    case 'ss':
      return runSsCommand(rest);
    case 'adapter':
      return runAdapterCommand(rest);
    case 'verify':
      process.exitCode = await (await import('./verify.ts')).runVerifyCommand(rest);
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}

main().catch((error: unknown) => {
  if (error instanceof CommandError) {
    process.stderr.write(`jplink ${error.command}: ${error.message}\n`);
    process.exit(1);
  }
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`jplink: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(64);
  }
  process.stderr.write(`jplink: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
