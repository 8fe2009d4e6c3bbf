// Writes `.jplink/devnet.json`, validated against the schema in @jplink/contracts.
import { rename, rm, writeFile } from 'node:fs/promises';
import { devnetManifestSchema, type DevnetManifest, type TryItCall } from '@jplink/contracts';

export async function writeManifest(path: string, manifest: DevnetManifest): Promise<void> {
  const valid = devnetManifestSchema.parse(manifest);
  const temporary = `${path}.tmp`;
  await writeFile(temporary, `${JSON.stringify(valid, null, 2)}\n`);
  await rename(temporary, path);
}

export async function removeManifest(path: string): Promise<void> {
  await rm(path, { force: true });
}

const quote = (value: string) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(value) ? value : `"${value.replace(/(["\\`])/g, '\\$1')}"`);

/** The curl command line for a try-it call; header values may use $(cat file) to keep secrets out of files. */
export function curlCommand(call: TryItCall): string {
  const parts = ['curl', '-sS'];
  if (call.method !== 'GET') parts.push('-X', call.method);
  for (const option of call.curlOptions ?? []) parts.push(option);
  for (const [name, value] of Object.entries(call.headers)) parts.push('-H', quote(`${name}: ${value}`));
  if (call.body !== undefined) parts.push('--data-binary', `'${call.body.replace(/'/g, `'\\''`)}'`);
  parts.push(quote(call.url));
  return parts.join(' ');
}
