// Personal-Link as this RP's OpenID Provider: discovery with the RP's credentials (client_secret_basic).
import { readFile } from 'node:fs/promises';
import * as client from 'openid-client';
import { z } from 'zod';

const credentials = z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) });

/** The JSON file `{ "clientId", "clientSecret" }` of the RP registration. */
export async function readCredentials(file: string): Promise<z.infer<typeof credentials>> {
  return credentials.parse(JSON.parse(await readFile(file, 'utf8')));
}

/** Plain-HTTP issuers only in development (loopback devnet, tests). */
export async function discoverPersonalLink(issuer: string, creds: { clientId: string; clientSecret: string }, opts: { allowHttp: boolean }): Promise<client.Configuration> {
  return client.discovery(new URL(issuer), creds.clientId, undefined, client.ClientSecretBasic(creds.clientSecret), opts.allowHttp ? { execute: [client.allowInsecureRequests] } : {});
}
