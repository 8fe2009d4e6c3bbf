// `jplink ss …`: set up a Security Server's clients, services and access rights through its
// configuration API (docs/operations/security-server.md). Identifiers use '/' as everywhere else.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { subsystemPathSegment } from '@jplink/contracts';
import { CommandError, openAdminApi, readJsonFile } from './admin-api.ts';

export const SS_USAGE = `Usage: jplink ss <command> [options] --api <url> --key-file <file>

Commands:
  status                                       server, global configuration, certificates, message log
  clients                                      list local client subsystems
  client-add <subsystem> [--connection http|https|https-cert] [--no-log-bodies] [--timestamp-immediately]
  client-register <subsystem>                  register the client at the Center (waits for approval)
  services <subsystem>                         list the subsystem's services
  service-add <subsystem> <serviceCode> <url> [--timeout <s>] [--openapi <file.json>] [--no-tls-verify]
  grant <subsystem> <serviceCode> <client subsystem | group:CODE> [--method GET --path /x/*]
  revoke <subsystem> <serviceCode> <client subsystem | group:CODE> [--method GET --path /x/*]
  evidence (--message-id <X-Road-Request-Id> | --x-road-id <X-Road-Id>) --out <file.zip>
                                               the evidence file of an exchange (check it with jplink verify)
  archive                                      archive the timestamped message log now

--api defaults to $JPLINK_SS_API, --key-file to $JPLINK_SS_KEY_FILE.
`;

/** A `jplink ss` failure, printed as one line. */
export class SsCommandError extends CommandError {
  constructor(message: string) {
    super('ss', message);
  }
}

const pathId = subsystemPathSegment;

export async function runSsCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      api: { type: 'string', default: process.env.JPLINK_SS_API },
      'key-file': { type: 'string', default: process.env.JPLINK_SS_KEY_FILE },
      connection: { type: 'string', default: 'http' },
      'no-log-bodies': { type: 'boolean', default: false },
      timeout: { type: 'string' },
      openapi: { type: 'string' },
      'no-tls-verify': { type: 'boolean', default: false },
      method: { type: 'string' },
      path: { type: 'string' },
      'timestamp-immediately': { type: 'boolean', default: false },
      'message-id': { type: 'string' },
      'x-road-id': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || !command) {
    out.write(SS_USAGE);
    return;
  }
  const { call, send, failure } = await openAdminApi({ command: 'ss', api: values.api, keyFile: values['key-file'], env: ['JPLINK_SS_API', 'JPLINK_SS_KEY_FILE'], out });
  const need = (n: number) => {
    if (args.length < n) throw new SsCommandError(`${command} needs ${n} argument(s); see jplink ss --help`);
  };
  const subject = (text: string) => (text.startsWith('group:') ? { kind: 'local-group', code: text.slice(6) } : { kind: 'subsystem', id: text });
  const endpoint = () => {
    if (!values.method && !values.path) return {};
    if (!values.method || !values.path) throw new SsCommandError('--method and --path go together');
    return { endpoint: { method: values.method, path: values.path } };
  };
  switch (command) {
    case 'status':
      return call('GET', '/api/v1/status');
    case 'clients':
      return call('GET', '/api/v1/clients');
    case 'client-add':
      need(1);
      return call('POST', '/api/v1/clients', {
        subsystem: args[0],
        connectionType: values.connection,
        logBodies: !values['no-log-bodies'],
        timestampImmediately: values['timestamp-immediately'],
      });
    case 'client-register':
      need(1);
      return call('POST', `/api/v1/clients/${pathId(args[0]!)}/register`);
    case 'services':
      need(1);
      return call('GET', `/api/v1/clients/${pathId(args[0]!)}/services`);
    case 'service-add': {
      need(3);
      const openapi = values.openapi ? await readJsonFile('ss', values.openapi) : undefined;
      return call('POST', `/api/v1/clients/${pathId(args[0]!)}/services`, {
        serviceCode: args[1],
        url: args[2],
        tlsVerify: !values['no-tls-verify'],
        ...(values.timeout ? { timeoutSeconds: Number(values.timeout) } : {}),
        ...(openapi ? { openapi } : {}),
      });
    }
    case 'grant':
    case 'revoke':
      need(3);
      return call('POST', `/api/v1/clients/${pathId(args[0]!)}/services/${encodeURIComponent(args[1]!)}/access-rights/${command}`, { subject: subject(args[2]!), ...endpoint() });
    case 'evidence': {
      if (!values.out) throw new SsCommandError('evidence needs --out <file.zip>');
      if (Boolean(values['message-id']) === Boolean(values['x-road-id'])) throw new SsCommandError('evidence needs exactly one of --message-id and --x-road-id');
      const query = values['message-id'] ? `messageId=${encodeURIComponent(values['message-id'])}` : `xRoadId=${encodeURIComponent(values['x-road-id']!)}`;
      const path = `/api/v1/evidence?${query}`;
      const response = await send('GET', path);
      if (!response.ok) throw failure('GET', path, response.status, await response.text());
      const bytes = Buffer.from(await response.arrayBuffer());
      await writeFile(values.out, bytes);
      out.write(`wrote ${values.out} (${bytes.length} bytes); check it with: jplink verify --root <root-ca.pem> ${values.out}\n`);
      return;
    }
    case 'archive':
      return call('POST', '/api/v1/message-log/archive');
    default:
      throw new SsCommandError(`unknown ss command: ${command}`);
  }
}
