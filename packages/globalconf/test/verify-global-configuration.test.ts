// A configuration verifies with only the anchor; tampered, expired, wrongly signed and rolled-back
// ones are each refused with their own error code.
import { describe, expect, it, beforeAll } from 'vitest';
import { DEFAULT_GLOBAL_SETTINGS, type ConfigurationAnchor, type GlobalConfiguration } from '@jplink/contracts';
import { derToPem, generateKeyPair, issueCertificate } from '@jplink/pki';
import { GlobalConfError, parseAnchor, serializeAnchor, signGlobalConf, verifyGlobalConf } from '../src/index.ts';

async function signer(cn: string) {
  const keys = await generateKeyPair('EC-P256');
  const certificate = await issueCertificate({
    subject: [['CN', cn]],
    publicKey: keys.publicKey,
    selfSignedPrivateKey: keys.privateKey,
    serialNumber: 7n,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    profile: 'config-signing',
  });
  return { certificate, privateKey: keys.privateKey };
}

const now = new Date('2026-11-25T12:00:00Z');
const conf = (version = 3, expiresAt = '2026-11-25T12:10:00Z'): GlobalConfiguration => ({
  formatVersion: 1,
  instance: 'JP-TEST',
  version,
  generatedAt: '2026-11-25T12:00:00Z',
  expiresAt,
  memberClasses: [{ code: 'COM', description: 'companies' }],
  members: [{ memberClass: 'COM', memberCode: '1234567890123', name: 'ヘルスケア株式会社', subsystems: [{ subsystemCode: 'healthcare' }] }],
  securityServers: [],
  approvedCas: [],
  tsas: [],
  globalSettings: DEFAULT_GLOBAL_SETTINGS,
  managementService: { registrationUrl: 'https://center.example.jp:4001', tlsCertificate: 'AAAA' },
});

let trusted: Awaited<ReturnType<typeof signer>>;
let other: Awaited<ReturnType<typeof signer>>;
let anchor: ConfigurationAnchor;

beforeAll(async () => {
  trusted = await signer('JP-Link Configuration Signing JP-TEST');
  other = await signer('Someone Else');
  anchor = parseAnchor(
    serializeAnchor({
      formatVersion: 1,
      instance: 'JP-TEST',
      downloadUrl: 'http://center.example.jp/globalconf/v1',
      signingCertificates: [derToPem(trusted.certificate, 'CERTIFICATE')],
      generatedAt: '2026-11-25T00:00:00Z',
    }),
  );
});

async function expectCode(promise: Promise<unknown>, code: string) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GlobalConfError);
  expect((error as GlobalConfError).code).toBe(code);
}

describe('global configuration verifier', () => {
  it('accepts a fresh configuration with only the anchor', async () => {
    const signed = await signGlobalConf(conf(), trusted);
    const verified = await verifyGlobalConf({ anchor, ...signed, now });
    expect(verified.members[0]?.name).toBe('ヘルスケア株式会社');
  });

  it('refuses a tampered document', async () => {
    const signed = await signGlobalConf(conf(), trusted);
    const tampered = Buffer.from(signed.document.toString('utf8').replace('1234567890123', '1234567890124'));
    await expectCode(verifyGlobalConf({ anchor, document: tampered, signature: signed.signature, now }), 'GCONF_SIGNATURE_INVALID');
  });

  it('refuses an expired configuration', async () => {
    const signed = await signGlobalConf(conf(3, '2026-11-25T11:59:59Z'), trusted);
    await expectCode(verifyGlobalConf({ anchor, ...signed, now }), 'GCONF_EXPIRED');
  });

  it('refuses a configuration signed by a key the anchor does not name', async () => {
    const signed = await signGlobalConf(conf(), other);
    await expectCode(verifyGlobalConf({ anchor, ...signed, now }), 'GCONF_SIGNER_UNTRUSTED');
  });

  it('refuses an older version than one already accepted, and garbage as a signature', async () => {
    const signed = await signGlobalConf(conf(2), trusted);
    await expectCode(verifyGlobalConf({ anchor, ...signed, now, minVersion: 3 }), 'GCONF_VERSION_ROLLBACK');
    await expectCode(verifyGlobalConf({ anchor, document: signed.document, signature: Buffer.from('not a signature'), now }), 'GCONF_MALFORMED');
  });

  it('refuses a configuration of another instance', async () => {
    const signed = await signGlobalConf({ ...conf(), instance: 'JP-PROD' }, trusted);
    await expectCode(verifyGlobalConf({ anchor, ...signed, now }), 'GCONF_INSTANCE_MISMATCH');
  });

  it('refuses a malformed anchor', () => {
    expect(() => parseAnchor('{"formatVersion":1}')).toThrow(GlobalConfError);
  });
});
