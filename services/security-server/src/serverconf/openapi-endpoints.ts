// The endpoints of a service described by OpenAPI 3: each operation becomes one endpoint (the unit
// of access rights). Path templates `{param}` become `*` (one segment).
import { AppError } from '@jplink/kit';
import { SS_ADMIN_ERRORS } from '../errors.ts';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

export function endpointsFromOpenApi(document: Record<string, unknown>): Array<{ method: string; path: string }> {
  const version = document.openapi;
  if (typeof version !== 'string' || !version.startsWith('3.')) {
    throw new AppError(SS_ADMIN_ERRORS.SS_OPENAPI_INVALID);
  }
  const paths = document.paths;
  if (typeof paths !== 'object' || paths === null) return [];
  const endpoints: Array<{ method: string; path: string }> = [];
  for (const [template, item] of Object.entries(paths as Record<string, unknown>)) {
    if (!template.startsWith('/') || typeof item !== 'object' || item === null) continue;
    const path = template.replace(/\{[^/{}]+\}/g, '*');
    for (const method of METHODS) {
      if (method in item) endpoints.push({ method: method.toUpperCase(), path });
    }
  }
  return endpoints;
}
