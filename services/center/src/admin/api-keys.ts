// Admin API authentication: `Authorization: Bearer <api key>`. Keys are random 32-byte tokens,
// stored only as SHA-256. Roles: operator-admin (everything) and read-only (GET only).
import type { AdminRole } from '@jplink/contracts';
import { AppError, bearerToken, generateApiKey, hashApiKey } from '@jplink/kit';
import type { FastifyRequest } from 'fastify';
import type { CenterDb } from '../db/database.ts';
import { findApiKeyByHash, insertApiKey } from '../db/api-keys.ts';
import { CENTER_ERRORS } from '../errors.ts';
import type { Auditor } from '../audit/events.ts';

export interface AdminPrincipal {
  name: string;
  role: AdminRole;
  /** How audit events name this caller. */
  actor: string;
}

export async function createApiKey(db: CenterDb, audit: Auditor, name: string, role: AdminRole, actor: string): Promise<string> {
  const key = generateApiKey();
  await insertApiKey(db, { name, role, keySha256: hashApiKey(key) });
  await audit({ actor, action: 'api-key.created', target: name, details: { role } });
  return key;
}

export async function authenticate(db: CenterDb, audit: Auditor, request: FastifyRequest): Promise<AdminPrincipal> {
  const token = bearerToken(request.headers.authorization);
  const row = token ? await findApiKeyByHash(db, hashApiKey(token)) : undefined;
  if (!row) {
    await audit({ actor: 'anonymous', action: 'admin.authentication-failed', outcome: 'failure', details: { ip: request.ip, route: request.routeOptions.url ?? null } });
    throw new AppError(CENTER_ERRORS.CENTER_API_KEY_INVALID);
  }
  return { name: row.name, role: row.role as AdminRole, actor: `admin:${row.name}` };
}

export function requireRole(principal: AdminPrincipal, role: AdminRole) {
  if (role === 'operator-admin' && principal.role !== 'operator-admin') throw new AppError(CENTER_ERRORS.CENTER_ROLE_FORBIDDEN);
}
