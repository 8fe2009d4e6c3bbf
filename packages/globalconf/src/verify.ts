import { globalConfigurationSchema, type ConfigurationAnchor, type GlobalConfiguration } from '@jplink/contracts';
import { PkiError, pemToDer, verifyDetached } from '@jplink/pki';
import { GlobalConfError } from './errors.ts';

export interface VerifyGlobalConfInput {
  anchor: ConfigurationAnchor;
  document: Uint8Array;
  signature: Uint8Array;
  /** Verification time; defaults to now. */
  now?: Date;
  /** The version already accepted; an older one is a rollback. Equal is allowed (a re-download). */
  minVersion?: number;
}

/**
 * Verifies a downloaded configuration against the anchor: signature by one of the anchor's signing
 * certificates over the exact bytes, the instance, the expiry, and (optionally) no rollback.
 * Only then is the JSON trusted and parsed.
 */
export async function verifyGlobalConf(input: VerifyGlobalConfInput): Promise<GlobalConfiguration> {
  const trustedSigners = input.anchor.signingCertificates.map((pem) => pemToDer(pem));
  try {
    await verifyDetached({ signature: input.signature, data: input.document, trustedSigners });
  } catch (cause) {
    if (cause instanceof PkiError) {
      if (cause.code === 'PKI_CMS_SIGNER_UNTRUSTED') throw new GlobalConfError('GCONF_SIGNER_UNTRUSTED', undefined, { cause });
      if (cause.code === 'PKI_CMS_SIGNATURE_INVALID') throw new GlobalConfError('GCONF_SIGNATURE_INVALID', undefined, { cause });
    }
    throw new GlobalConfError('GCONF_MALFORMED', 'signature', { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(input.document).toString('utf8'));
  } catch (cause) {
    throw new GlobalConfError('GCONF_MALFORMED', 'document is not JSON', { cause });
  }
  const parsed = globalConfigurationSchema.safeParse(json);
  if (!parsed.success) {
    throw new GlobalConfError('GCONF_MALFORMED', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const conf = parsed.data;
  if (conf.instance !== input.anchor.instance) {
    throw new GlobalConfError('GCONF_INSTANCE_MISMATCH', `${conf.instance} ≠ ${input.anchor.instance}`);
  }
  const now = input.now ?? new Date();
  if (Date.parse(conf.expiresAt) <= now.getTime()) {
    throw new GlobalConfError('GCONF_EXPIRED', `version ${conf.version} expired at ${conf.expiresAt}`);
  }
  if (input.minVersion !== undefined && conf.version < input.minVersion) {
    throw new GlobalConfError('GCONF_VERSION_ROLLBACK', `version ${conf.version} < ${input.minVersion}`);
  }
  return conf;
}
