// `jplink adapter …`: set up an Adapter Server's database connections, Sub System Codes and Data
// Services through its admin API, and publish a Sub System Code to the member's Security Server
// (docs/operations/adapter-server.md). Identifiers use '/' as everywhere else.
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CommandError, openAdminApi, readJsonFile } from './admin-api.ts';

export const ADAPTER_USAGE = `Usage: jplink adapter <command> [options] --api <url> --key-file <file>

Commands:
  connections                                  list database connections
  connection-add <name> --dialect postgres|mysql --host <host> [--port <n>] --database <db>
                 --user <user> [--password-file <file>] [--tls disable|require|verify-full]
                                               add a database connection (the password is stored encrypted)
  connection-test <name>                       connect with the stored settings (exit 1 when it fails)
  tables <connection>                          tables and views the connection can see
  subsystems                                   list Sub System Codes
  subsystem-add <code> --title <title> [--description <text>]
                                               add a Sub System Code (a data-service category)
  services <code>                              list the Sub System Code's Data Services
  service-add <code> --file <definition.json>  add a Data Service (the JSON body of POST
                                               /api/v1/subsystems/{code}/services: see <api>/openapi.json)
  openapi <code> [--out <file.json>]           the generated OpenAPI 3.0 document
  publish <code> [--provider <subsystem>] [--grant <client subsystem>]
                                               register the Sub System Code as a service on the Security
                                               Server (and grant a client access to all of it)
  id-conversion <baseId> <localUserId>         link a Personal-Link BaseID to this member's user id
  calls [--limit <n>]                          recent data-service calls with their X-Road headers

--api defaults to $JPLINK_ADAPTER_API, --key-file to $JPLINK_ADAPTER_KEY_FILE.
`;

const fail = (message: string) => new CommandError('adapter', message);
const segment = encodeURIComponent;

function integer(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw fail(`--${name} must be an integer between ${min} and ${max}`);
  return n;
}

export async function runAdapterCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      api: { type: 'string', default: process.env.JPLINK_ADAPTER_API },
      'key-file': { type: 'string', default: process.env.JPLINK_ADAPTER_KEY_FILE },
      dialect: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      database: { type: 'string' },
      user: { type: 'string' },
      'password-file': { type: 'string' },
      tls: { type: 'string' },
      title: { type: 'string' },
      description: { type: 'string' },
      file: { type: 'string' },
      out: { type: 'string' },
      provider: { type: 'string' },
      grant: { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || !command) {
    out.write(ADAPTER_USAGE);
    return;
  }
  const need = (...names: string[]) => {
    if (args.length < names.length) throw fail(`${command} needs ${names.map((n) => `<${n}>`).join(' ')}; see jplink adapter --help`);
  };
  const needOptions = (...names: Array<keyof typeof values>) => {
    const missing = names.filter((n) => values[n] === undefined);
    if (missing.length) throw fail(`${command} needs ${missing.map((n) => `--${n}`).join(', ')}; see jplink adapter --help`);
  };
  // Check the arguments before anything is read or sent.
  const checks: Record<string, () => void> = {
    'connection-add': () => (need('name'), needOptions('dialect', 'host', 'database', 'user')),
    'connection-test': () => need('name'),
    tables: () => need('connection'),
    'subsystem-add': () => (need('code'), needOptions('title')),
    services: () => need('code'),
    'service-add': () => (need('code'), needOptions('file')),
    openapi: () => need('code'),
    publish: () => need('code'),
    'id-conversion': () => need('baseId', 'localUserId'),
    connections: () => {},
    subsystems: () => {},
    calls: () => {},
  };
  const check = checks[command];
  if (!check) throw fail(`unknown adapter command: ${command}; see jplink adapter --help`);
  check();

  const api = await openAdminApi({ command: 'adapter', api: values.api, keyFile: values['key-file'], env: ['JPLINK_ADAPTER_API', 'JPLINK_ADAPTER_KEY_FILE'], out });
  const { call, request } = api;
  switch (command) {
    case 'connections':
      return call('GET', '/api/v1/connections');
    case 'connection-add': {
      let password: string | undefined;
      if (values['password-file']) {
        const file = values['password-file'];
        // The file's content without its final line break; never a password on the command line.
        password = (
          await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
            throw fail(`cannot read ${file}: ${error.code ?? error.message}`);
          })
        ).replace(/\r?\n$/, '');
      }
      return call('POST', '/api/v1/connections', {
        name: args[0],
        dialect: values.dialect,
        host: values.host,
        ...(values.port !== undefined ? { port: integer('port', values.port, 1, 65535) } : {}),
        database: values.database,
        username: values.user,
        ...(password !== undefined ? { password } : {}),
        ...(values.tls !== undefined ? { tls: values.tls } : {}),
      });
    }
    case 'connection-test': {
      const result = await request<{ ok: boolean; error: string | null }>('POST', `/api/v1/connections/${segment(args[0]!)}/test`);
      out.write(`${JSON.stringify(result, null, 2)}\n`);
      if (!result.ok) throw fail(`connection ${args[0]} failed: ${result.error ?? 'unknown reason'}`);
      return;
    }
    case 'tables':
      return call('GET', `/api/v1/connections/${segment(args[0]!)}/tables`);
    case 'subsystems':
      return call('GET', '/api/v1/subsystems');
    case 'subsystem-add':
      return call('POST', '/api/v1/subsystems', { code: args[0], title: values.title, ...(values.description !== undefined ? { description: values.description } : {}) });
    case 'services':
      return call('GET', `/api/v1/subsystems/${segment(args[0]!)}/services`);
    case 'service-add':
      return call('POST', `/api/v1/subsystems/${segment(args[0]!)}/services`, await readJsonFile('adapter', values.file!));
    case 'openapi': {
      const document = await request('GET', `/api/v1/subsystems/${segment(args[0]!)}/openapi.json`);
      const text = `${JSON.stringify(document, null, 2)}\n`;
      if (!values.out) {
        out.write(text);
        return;
      }
      await writeFile(values.out, text);
      out.write(`wrote ${values.out}\n`);
      return;
    }
    case 'publish':
      return call('POST', `/api/v1/subsystems/${segment(args[0]!)}/publish`, {
        ...(values.provider ? { provider: values.provider } : {}),
        ...(values.grant ? { grantTo: values.grant } : {}),
      });
    case 'id-conversion':
      return call('PUT', `/api/v1/id-conversions/${segment(args[0]!)}`, { localUserId: args[1] });
    case 'calls':
      return call('GET', `/api/v1/calls?limit=${integer('limit', values.limit, 1, 1000) ?? 20}`);
  }
}
