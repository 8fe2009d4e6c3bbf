// Admin API authentication: `Authorization: Bearer <api key>`. Keys are random 32-byte tokens,
// stored only as SHA-256. Roles: operator-admin (everything) and read-only (GET only).
import { createHash, randomBytes } from 'node:crypto';
import type { AdminRole } from '@jplink/contracts';
import { AppError } from '@jplink/kit';
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

const hash = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

export async function createApiKey(db: CenterDb, audit: Auditor, name: string, role: AdminRole, actor: string): Promise<string> {
  const key = `jpl_${randomBytes(32).toString('base64url')}`;
  await insertApiKey(db, { name, role, keySha256: hash(key) });
  await audit({ actor, action: 'api-key.created', target: name, details: { role } });
  return key;
}

export async function authenticate(db: CenterDb, audit: Auditor, request: FastifyRequest): Promise<AdminPrincipal> {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9_-]{10,200})$/.exec(header) : null;
  const row = match ? await findApiKeyByHash(db, hash(match[1]!)) : undefined;
  if (!row) {
    await audit({ actor: 'anonymous', action: 'admin.authentication-failed', outcome: 'failure', details: { ip: request.ip, route: request.routeOptions.url ?? null } });
    throw new AppError(CENTER_ERRORS.CENTER_API_KEY_INVALID);
  }
  return { name: row.name, role: row.role as AdminRole, actor: `admin:${row.name}` };
}

export function requireRole(principal: AdminPrincipal, role: AdminRole) {
  if (role === 'operator-admin' && principal.role !== 'operator-admin') throw new AppError(CENTER_ERRORS.CENTER_ROLE_FORBIDDEN);
}
