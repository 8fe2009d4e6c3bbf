// The `/r1/…` request target rebuilt from a message header: both Security Servers compute the
// PR-REST request hash over this exact string, so it must not depend on how the client spelled it.
import type { ServiceId } from '@jplink/contracts';
import { formatServiceHeader } from './identifiers-in-headers.ts';

export function prRestUrl(service: ServiceId, path: string, query: string): string {
  return `/r1/${formatServiceHeader(service)}${path}${query ? `?${query}` : ''}`;
}
