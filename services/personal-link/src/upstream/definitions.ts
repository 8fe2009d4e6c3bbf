// Upstream ID providers residents sign in with. Each is a generic OpenID Provider; a preset fills in
// what is known about Google, Apple, d-account, MyDID and TRUSTDOCK, and the operator supplies the
// client registration (docs/operations/personal-link.md § Upstream ID providers).
import { z } from 'zod';

const localized = z.object({ ja: z.string().min(1).max(60), en: z.string().min(1).max(60) });

export const upstreamInput = z
  .object({
    /** Short id used in URLs (`/upstream/<id>/callback`) and stored with each linked account. */
    id: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/),
    preset: z.enum(['generic', 'google', 'apple', 'd-account', 'mydid', 'trustdock']).default('generic'),
    issuer: z.string().url().optional(),
    clientId: z.string().min(1),
    /** The client secret, or a file holding it (preferred). Apple uses `apple` instead. */
    clientSecret: z.string().min(1).optional(),
    clientSecretFile: z.string().min(1).optional(),
    authMethod: z.enum(['client_secret_basic', 'client_secret_post', 'none']).optional(),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/)).optional(),
    /** Accounts of this upstream are identity-verified (本人確認済). */
    verified: z.boolean().optional(),
    /** The `acr` Personal-Link states for sign-ins through this upstream (else the upstream's own acr, if any). */
    acr: z.string().min(1).optional(),
    displayName: localized.optional(),
    /** `form_post` for Apple (the answer is POSTed to the callback). */
    responseMode: z.enum(['query', 'form_post']).optional(),
    /** Claims of a verified upstream exposed to RPs as verified attributes. */
    verifiedClaims: z.array(z.string().min(1)).optional(),
    /** Apple's ES256 client-secret JWT: team id, key id and the .p8 key file. */
    apple: z.object({ teamId: z.string().min(1), keyId: z.string().min(1), privateKeyFile: z.string().min(1) }).optional(),
    /** Development and tests only: allow http:// issuers (the local dev upstream). */
    allowInsecure: z.boolean().default(false),
  })
  .strict();
export type UpstreamInput = z.input<typeof upstreamInput>;

export interface UpstreamDefinition {
  id: string;
  preset: z.output<typeof upstreamInput>['preset'];
  issuer: string;
  clientId: string;
  clientSecret?: string;
  clientSecretFile?: string;
  authMethod: 'client_secret_basic' | 'client_secret_post' | 'none';
  scopes: string[];
  verified: boolean;
  acr?: string;
  displayName: { ja: string; en: string };
  responseMode: 'query' | 'form_post';
  verifiedClaims: string[];
  apple?: { teamId: string; keyId: string; privateKeyFile: string };
  allowInsecure: boolean;
}

type Preset = Omit<Partial<UpstreamDefinition>, 'id' | 'clientId'>;

/** What each well-known upstream needs besides its client registration. */
export const UPSTREAM_PRESETS: Record<UpstreamDefinition['preset'], Preset> = {
  generic: { authMethod: 'client_secret_basic', scopes: ['openid', 'profile', 'email'], verified: false, responseMode: 'query' },
  google: {
    issuer: 'https://accounts.google.com',
    authMethod: 'client_secret_basic',
    scopes: ['openid', 'profile', 'email'],
    verified: false,
    displayName: { ja: 'Google', en: 'Google' },
    responseMode: 'query',
  },
  // Apple: answers with form_post when scopes are asked, sends name/email only on the first
  // authorization (the `user` form field), has no userinfo; the client secret is an ES256 JWT.
  apple: {
    issuer: 'https://appleid.apple.com',
    authMethod: 'client_secret_post',
    scopes: ['openid', 'name', 'email'],
    verified: false,
    displayName: { ja: 'Apple でサインイン', en: 'Sign in with Apple' },
    responseMode: 'form_post',
  },
  // docomo dアカウント・コネクト (OIDC); the issuer is given by docomo with the client registration.
  'd-account': { authMethod: 'client_secret_basic', scopes: ['openid'], verified: false, displayName: { ja: 'dアカウント', en: 'd ACCOUNT' }, responseMode: 'query' },
  // Identity-verified upstreams (My Number Card / eKYC): residents signing in with them are 本人確認済.
  mydid: {
    authMethod: 'client_secret_basic',
    scopes: ['openid', 'profile'],
    verified: true,
    acr: 'urn:jplink:acr:identity-verified',
    displayName: { ja: 'MyDID（本人確認済）', en: 'MyDID (identity verified)' },
    responseMode: 'query',
    verifiedClaims: ['name', 'birthdate', 'address'],
  },
  trustdock: {
    authMethod: 'client_secret_basic',
    scopes: ['openid', 'profile'],
    verified: true,
    acr: 'urn:jplink:acr:identity-verified',
    displayName: { ja: 'TRUSTDOCK（本人確認済）', en: 'TRUSTDOCK (identity verified)' },
    responseMode: 'query',
    verifiedClaims: ['name', 'birthdate', 'address'],
  },
};

/** Merges a preset with the operator's settings; lists every problem. */
export function resolveUpstreams(raw: unknown): { upstreams: UpstreamDefinition[]; problems: string[] } {
  const parsed = z.array(upstreamInput).safeParse(raw);
  if (!parsed.success) return { upstreams: [], problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
  const problems: string[] = [];
  const upstreams: UpstreamDefinition[] = [];
  const seen = new Set<string>();
  for (const input of parsed.data) {
    const preset = UPSTREAM_PRESETS[input.preset];
    const issuer = input.issuer ?? preset.issuer;
    const where = `upstream ${input.id}`;
    if (seen.has(input.id)) problems.push(`${where}: duplicate id`);
    seen.add(input.id);
    if (!issuer) problems.push(`${where}: issuer is required for preset ${input.preset}`);
    else if (!issuer.startsWith('https://') && !input.allowInsecure) problems.push(`${where}: the issuer must be https:// (allowInsecure is for the local dev upstream only)`);
    const authMethod = input.authMethod ?? preset.authMethod ?? 'client_secret_basic';
    if (input.preset === 'apple' && !input.apple) problems.push(`${where}: Apple needs apple.teamId, apple.keyId and apple.privateKeyFile`);
    if (input.preset !== 'apple' && authMethod !== 'none' && !input.clientSecret && !input.clientSecretFile) problems.push(`${where}: clientSecret or clientSecretFile is required for ${authMethod}`);
    const displayName = input.displayName ?? preset.displayName;
    if (!displayName) problems.push(`${where}: displayName { ja, en } is required for preset ${input.preset}`);
    if (!issuer || !displayName) continue;
    upstreams.push({
      id: input.id,
      preset: input.preset,
      issuer,
      clientId: input.clientId,
      ...(input.clientSecret ? { clientSecret: input.clientSecret } : {}),
      ...(input.clientSecretFile ? { clientSecretFile: input.clientSecretFile } : {}),
      authMethod,
      scopes: input.scopes ?? preset.scopes ?? ['openid'],
      verified: input.verified ?? preset.verified ?? false,
      ...((input.acr ?? preset.acr) ? { acr: (input.acr ?? preset.acr)! } : {}),
      displayName,
      responseMode: input.responseMode ?? preset.responseMode ?? 'query',
      verifiedClaims: input.verifiedClaims ?? preset.verifiedClaims ?? [],
      ...(input.apple ? { apple: input.apple } : {}),
      allowInsecure: input.allowInsecure,
    });
  }
  return { upstreams, problems };
}
