// A small CA hierarchy (root → issuing CA → service/member certificates) for tests.
import type { KeyObject } from 'node:crypto';
import { derToPem, generateKeyPair, issueCertificate, type CertificateProfile, type KeyAlgorithm, type NameInput } from '../../src/index.ts';

export interface Issued {
  der: Uint8Array;
  pem: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface Hierarchy {
  alg: KeyAlgorithm;
  root: Issued;
  issuing: Issued;
  issue(profile: CertificateProfile, opts?: { subject?: NameInput; serial?: bigint; notBefore?: Date; notAfter?: Date; ocspUrl?: string; issuer?: Issued; alg?: KeyAlgorithm; subjectAltNames?: { dns?: string[]; ip?: string[] } }): Promise<Issued>;
}

const DAY = 86_400_000;
let serial = 100n;

export async function buildHierarchy(alg: KeyAlgorithm, now = new Date()): Promise<Hierarchy> {
  const notBefore = new Date(now.getTime() - DAY);
  const notAfter = new Date(now.getTime() + 3650 * DAY);
  const rootKeys = await generateKeyPair(alg);
  const rootDer = await issueCertificate({
    subject: [['C', 'JP'], ['O', 'JP-TEST'], ['CN', `JP-Link テスト Root ${alg}`]],
    publicKey: rootKeys.publicKey,
    selfSignedPrivateKey: rootKeys.privateKey,
    serialNumber: 1n,
    notBefore,
    notAfter,
    profile: 'root-ca',
  });
  const root: Issued = { der: rootDer, pem: derToPem(rootDer, 'CERTIFICATE'), ...rootKeys };
  const issKeys = await generateKeyPair(alg);
  const issDer = await issueCertificate({
    subject: [['C', 'JP'], ['O', 'JP-TEST'], ['CN', `JP-Link Issuing CA ${alg}`]],
    publicKey: issKeys.publicKey,
    issuer: { certificate: rootDer, privateKey: rootKeys.privateKey },
    serialNumber: 2n,
    notBefore,
    notAfter: new Date(notAfter.getTime() - DAY),
    profile: 'issuing-ca',
  });
  const issuing: Issued = { der: issDer, pem: derToPem(issDer, 'CERTIFICATE'), ...issKeys };
  return {
    alg,
    root,
    issuing,
    async issue(profile, opts = {}) {
      const keys = await generateKeyPair(opts.alg ?? alg);
      const issuer = opts.issuer ?? issuing;
      const der = await issueCertificate({
        subject: opts.subject ?? [['C', 'JP'], ['O', 'JP-TEST'], ['OU', 'COM'], ['CN', `${profile}-${serial}`]],
        publicKey: keys.publicKey,
        issuer: { certificate: issuer.der, privateKey: issuer.privateKey },
        serialNumber: opts.serial ?? serial++,
        notBefore: opts.notBefore ?? notBefore,
        notAfter: opts.notAfter ?? new Date(notAfter.getTime() - 2 * DAY),
        profile,
        ...(opts.ocspUrl ? { ocspUrl: opts.ocspUrl } : {}),
        ...(opts.subjectAltNames ? { subjectAltNames: opts.subjectAltNames } : {}),
      });
      return { der, pem: derToPem(der, 'CERTIFICATE'), ...keys };
    },
  };
}

export const KEY_ALGORITHMS: KeyAlgorithm[] = ['EC-P256', 'RSA-2048'];
