// Secrets (key passphrases, passwords) come from files — Docker/Compose secrets, 0600 files — never
// from environment values. A missing or too short secret is a configuration error naming its variable.
import { readFile } from 'node:fs/promises';
import { ConfigError } from './config.ts';

export async function readSecretFile(path: string, variable: string, options: { minLength?: number } = {}): Promise<string> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
  } catch (cause) {
    throw new ConfigError([{ variable, message: `cannot read ${path}: ${(cause as Error).message}` }]);
  }
  const min = options.minLength ?? 16;
  if (text.length < min) throw new ConfigError([{ variable, message: `the secret in ${path} must be at least ${min} characters` }]);
  return text;
}
