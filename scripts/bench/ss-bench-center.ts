// Child process of security-server-exchange.ts: a real Center (CA, OCSP, TSA, global
// configuration, registration service) on loopback, auto-approving the Security Servers'
// requests, with the benchmark's members and subsystems already created. Idle during the load.
// Input: BENCH_CHILD = {"databaseUrl","schema","dataDir","instance","members":[{memberClass,memberCode,name,subsystem}]}
// Ready line: {"ready":true,"anchor":"<file>","adminUrl","publicUrl"}
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { centerConfigSchema, createCenter, type CenterTables } from '@jplink/center';
import { openDatabase } from '@jplink/db';
import { createLogger, listen } from '@jplink/kit';
import { freePort } from '@jplink/testing';
import { emit, serveCommands } from './ss-bench-common.ts';

interface Input {
  databaseUrl: string;
  schema: string;
  dataDir: string;
  instance: string;
  members: Array<{ memberClass: string; memberCode: string; name: string; subsystem: string }>;
}
const input = JSON.parse(process.env.BENCH_CHILD ?? '{}') as Input;

const logger = createLogger({ name: 'bench-center', level: 'warn', destination: process.stderr });
const [publicPort, registrationPort, adminPort] = [await freePort(), await freePort(), await freePort()];
const database = await openDatabase<CenterTables>({ url: input.databaseUrl, schema: input.schema, logger });
const config = centerConfigSchema.parse({
  JPLINK_MODE: 'development',
  CENTER_INSTANCE: input.instance,
  CENTER_DATA_DIR: input.dataDir,
  CENTER_KEY_PASSPHRASE_FILE: join(input.dataDir, 'unused'),
  CENTER_PUBLIC_URL: `http://127.0.0.1:${publicPort}`,
  CENTER_PUBLIC_HOST: '127.0.0.1',
  CENTER_PUBLIC_PORT: String(publicPort),
  CENTER_REGISTRATION_PORT: String(registrationPort),
  CENTER_ADMIN_PORT: String(adminPort),
  CENTER_AUTO_APPROVE: 'certificateIssue,authCertReg,clientReg,clientDeletion,addressChange',
  CENTER_LOG_LEVEL: 'warn',
});
const center = await createCenter(config, { database, logger, passphrase: 'benchmark-passphrase-0123456789', onProgress: () => {} });
await listen(center.publicApp, { host: '127.0.0.1', port: publicPort });
await listen(center.registrationApp, { host: '127.0.0.1', port: registrationPort });
await listen(center.adminApp, { host: '127.0.0.1', port: adminPort });
const adminUrl = `http://127.0.0.1:${adminPort}`;
const adminKey = (await readFile(center.files.adminApiKey, 'utf8')).trim();

async function admin(path: string, body: unknown): Promise<void> {
  const response = await fetch(`${adminUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 200 && response.status !== 201) throw new Error(`Center admin ${path} answered ${response.status}: ${await response.text()}`);
}

for (const m of input.members) {
  await admin('/api/v1/members', { memberClass: m.memberClass, memberCode: m.memberCode, name: m.name });
  await admin(`/api/v1/members/${m.memberClass}/${m.memberCode}/subsystems`, { subsystemCode: m.subsystem });
}

serveCommands(
  async (command) => {
    if (command.cmd === 'memory') return { memory: process.memoryUsage() };
    throw new Error(`unknown command ${command.cmd}`);
  },
  async () => {
    await center.close();
    await database.db.schema.dropSchema(input.schema).ifExists().cascade().execute().catch(() => undefined);
    await database.close();
  },
);
emit({ ready: true, anchor: center.files.anchor, adminUrl, publicUrl: `http://127.0.0.1:${publicPort}` });
