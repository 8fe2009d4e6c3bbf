// Receiving Personal-Link's consent notifications (docs/protocols/consent-notifications.md): each is
// a Security Event Token (RFC 8417) signed with a key of Personal-Link's JWKS. The verifier checks
// the signature (JWKS fetched from the issuer and cached; an unknown kid re-fetches it), `typ`,
// `iss`, `aud` (this RP's client id) and the event's shape, and returns the event with its id.
// De-duplicating by `eventId` and ordering by `version` are the receiver's job.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { CONSENT_SET_TYPE, consentSetClaims, type ConsentNotificationEvent } from '@jplink/contracts';
import { InvalidConsentNotificationError } from './errors.ts';

export interface ConsentNotification extends ConsentNotificationEvent {
  /** The SET's `jti`: the same on every retry of one notification. */
  eventId: string;
  /** The resident (`sub_id.id`). */
  baseId: string;
  /** The event type URI (urn:jplink:personal-link:secevent:consent:…). */
  eventType: string;
  issuedAt: number;
}

export interface ConsentNotificationVerifierOptions {
  /** Personal-Link's issuer, e.g. 'https://id.example.jp/oidc'. */
  issuer: string;
  /** This RP's client id (the token's audience). */
  clientId: string;
  /** Default `{issuer}/jwks`. */
  jwksUri?: string;
}

/** Returns a function that verifies one request body (the compact JWS); it throws InvalidConsentNotificationError otherwise (answer 400). */
export function createConsentNotificationVerifier(options: ConsentNotificationVerifierOptions): (token: string) => Promise<ConsentNotification> {
  const jwks = createRemoteJWKSet(new URL(options.jwksUri ?? `${options.issuer.replace(/\/+$/, '')}/jwks`));
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token.trim(), jwks, { issuer: options.issuer, audience: options.clientId, typ: CONSENT_SET_TYPE });
      const claims = consentSetClaims.parse(payload);
      const [eventType, event] = Object.entries(claims.events)[0]!;
      if (!eventType.endsWith(`:${event.status}`) || event.consumer !== options.clientId) throw new Error('event type, status or consumer do not match');
      return { ...event, eventId: claims.jti, baseId: claims.sub_id.id, eventType, issuedAt: Number(payload.iat) };
    } catch (error) {
      throw new InvalidConsentNotificationError(`not a valid consent notification: ${(error as Error).message}`, { cause: error });
    }
  };
}
