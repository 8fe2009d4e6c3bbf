// Crypto engines for the two ASN.1 libraries. `reflect-metadata` must be
// evaluated before @peculiar/x509 (its DI container, tsyringe, checks for it
// at load time), so every module takes x509/pkijs from here.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import * as pkijs from 'pkijs';

// Both libraries type this as the DOM `Crypto` (not in this project's lib);
// Node's webcrypto implements it.
type DomCrypto = ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'];
const nodeCrypto = webcrypto as unknown as DomCrypto;

x509.cryptoProvider.set(nodeCrypto);
pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: nodeCrypto }));

export { x509, pkijs, webcrypto };
