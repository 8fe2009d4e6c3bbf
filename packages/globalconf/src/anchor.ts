import { configurationAnchorSchema, type ConfigurationAnchor } from '@jplink/contracts';
import { GlobalConfError } from './errors.ts';

/** Parses and validates a configuration anchor file (JSON text). */
export function parseAnchor(text: string): ConfigurationAnchor {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new GlobalConfError('GCONF_ANCHOR_INVALID', 'not JSON', { cause });
  }
  const parsed = configurationAnchorSchema.safeParse(json);
  if (!parsed.success) {
    throw new GlobalConfError('GCONF_ANCHOR_INVALID', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

export function serializeAnchor(anchor: ConfigurationAnchor): string {
  return `${JSON.stringify(configurationAnchorSchema.parse(anchor), null, 2)}\n`;
}
