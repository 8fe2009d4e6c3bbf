// Child process of center-crypto.ts: a real Center on loopback, pinned by the parent to one core.
// Prints one JSON line with its URLs and the admin key once it is ready.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { centerConfigSchema, createCenter, type CenterTables } from '@jplink/center';
import { openDatabase, probeDatabase, resolveDatabase } from '@jplink/db';
import { createLogger, listen } from '@jplink/kit';

const algorithm = process.argv[2] === 'RSA-2048' ? 'RSA-2048' : 'EC-P256';
const [publicPort, adminPort, registrationPort] = process.argv.slice(3, 6).map(Number) as [number, number, number];
const dataDir = await mkdtemp(join(tmpdir(), 'jplink-bench-center-'));
const logger = createLogger({ name: 'bench-center', level: 'warn' });

let url: string | undefined = process.env.JPLINK_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
try {
  await probeDatabase(url, { timeoutMs: 1000 });
} catch {
  url = undefined;
}
const resolved = await resolveDatabase({ ...(url ? { url } : {}), dataDir: join(dataDir, 'pgdata'), production: false, logger });
const schema = `bench_center_${process.pid}`;
const database = await openDatabase<CenterTables>({ url: resolved.url, schema, logger });
const config = centerConfigSchema.parse({
  JPLINK_MODE: 'development',
  CENTER_INSTANCE: 'JP-BENCH',
  CENTER_DATA_DIR: dataDir,
  CENTER_KEY_PASSPHRASE_FILE: join(dataDir, 'unused'),
  CENTER_KEY_ALGORITHM: algorithm,
  CENTER_PUBLIC_URL: `http://127.0.0.1:${publicPort}`,
  CENTER_PUBLIC_HOST: '127.0.0.1',
  CENTER_PUBLIC_PORT: String(publicPort),
  CENTER_ADMIN_PORT: String(adminPort),
  CENTER_REGISTRATION_PORT: String(registrationPort),
  CENTER_LOG_LEVEL: 'warn',
});
const center = await createCenter(config, { database, logger, passphrase: 'benchmark-passphrase-0123456789', onProgress: () => {} });
await listen(center.publicApp, { host: '127.0.0.1', port: publicPort });
await listen(center.adminApp, { host: '127.0.0.1', port: adminPort });
process.stdout.write(
  `${JSON.stringify({ ready: true, database: resolved.kind, adminKey: (await readFile(center.files.adminApiKey, 'utf8')).trim() })}\n`,
);

const stop = async () => {
  await center.close();
  await database.db.schema.dropSchema(schema).ifExists().cascade().execute().catch(() => undefined);
  await database.close();
  await resolved.embedded?.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
