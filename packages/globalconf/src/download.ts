import { createHash } from 'node:crypto';
import { globalConfPointerSchema, type ConfigurationAnchor, type GlobalConfiguration } from '@jplink/contracts';
import { GlobalConfError } from './errors.ts';
import { verifyGlobalConf } from './verify.ts';

export interface DownloadedGlobalConf {
  conf: GlobalConfiguration;
  document: Buffer;
  signature: Buffer;
}

const MAX_BYTES = 16 * 1024 * 1024;

async function get(url: string, signal: AbortSignal): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: 'error' });
  } catch (cause) {
    throw new GlobalConfError('GCONF_DOWNLOAD_FAILED', `${url}: ${(cause as Error).message}`, { cause });
  }
  if (!response.ok) throw new GlobalConfError('GCONF_DOWNLOAD_FAILED', `${url}: HTTP ${response.status}`);
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_BYTES) throw new GlobalConfError('GCONF_DOWNLOAD_FAILED', `${url}: larger than ${MAX_BYTES} bytes`);
  const body = Buffer.from(await response.arrayBuffer());
  if (body.length > MAX_BYTES) throw new GlobalConfError('GCONF_DOWNLOAD_FAILED', `${url}: larger than ${MAX_BYTES} bytes`);
  return body;
}

/** Downloads the latest configuration named by the anchor's pointer and verifies it. */
export async function downloadGlobalConf(
  anchor: ConfigurationAnchor,
  options: { now?: Date; minVersion?: number; timeoutMs?: number } = {},
): Promise<DownloadedGlobalConf> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const base = anchor.downloadUrl.replace(/\/+$/, '');
  const pointerBytes = await get(`${base}/latest.json`, signal);
  let pointerJson: unknown;
  try {
    pointerJson = JSON.parse(pointerBytes.toString('utf8'));
  } catch (cause) {
    throw new GlobalConfError('GCONF_MALFORMED', 'latest.json is not JSON', { cause });
  }
  const pointer = globalConfPointerSchema.safeParse(pointerJson);
  if (!pointer.success) throw new GlobalConfError('GCONF_MALFORMED', 'latest.json does not match the pointer schema');
  const relative = (name: string) => {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new GlobalConfError('GCONF_MALFORMED', `bad file name in pointer: ${name}`);
    return `${base}/${name}`;
  };
  const [document, signature] = await Promise.all([get(relative(pointer.data.document), signal), get(relative(pointer.data.signature), signal)]);
  if (createHash('sha256').update(document).digest('hex') !== pointer.data.documentSha256) {
    throw new GlobalConfError('GCONF_SIGNATURE_INVALID', 'document digest differs from the pointer');
  }
  const conf = await verifyGlobalConf({ anchor, document, signature, ...options });
  return { conf, document, signature };
}
