import type { KeyObject } from 'node:crypto';
import { globalConfigurationSchema, type GlobalConfiguration } from '@jplink/contracts';
import { signDetached } from '@jplink/pki';

export interface SignedGlobalConf {
  /** The exact bytes that were signed (UTF-8 JSON). */
  document: Buffer;
  /** CMS SignedData (DER), detached, over `document`. */
  signature: Buffer;
}

/** Serialises a configuration and signs it with the configuration-signing key. */
export async function signGlobalConf(
  conf: GlobalConfiguration,
  signer: { certificate: Uint8Array; privateKey: KeyObject },
): Promise<SignedGlobalConf> {
  const document = Buffer.from(`${JSON.stringify(globalConfigurationSchema.parse(conf), null, 2)}\n`, 'utf8');
  const signature = Buffer.from(await signDetached({ data: document, signer, signingTime: new Date(conf.generatedAt) }));
  return { document, signature };
}
