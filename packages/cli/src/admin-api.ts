// What `jplink ss` and `jplink adapter` share: a client for a service's admin API (Bearer key read
// from a file) whose failures become one readable line, `jplink <command>: …`, and exit code 1.
import { readFile } from 'node:fs/promises';

/** A failure the user can act on: printed as `jplink <command>: <message>` without a stack trace. */
export class CommandError extends Error {
  readonly command: string;
  constructor(command: string, message: string) {
    super(message);
    this.command = command;
  }
}

export interface AdminApi {
  /** The raw answer (for downloads); a network failure becomes a CommandError. */
  send(method: string, path: string, json?: unknown): Promise<Response>;
  /** The CommandError for a refused call: `METHOD path → HTTP status: CODE: message (issues)`. */
  failure(method: string, path: string, status: number, text: string): CommandError;
  /** Calls and returns the parsed JSON answer (undefined when empty); a non-2xx answer throws. */
  request<T = unknown>(method: string, path: string, json?: unknown): Promise<T>;
  /** Calls and prints the JSON answer, indented. */
  call(method: string, path: string, json?: unknown): Promise<void>;
}

export async function openAdminApi(options: {
  command: string;
  api: string | undefined;
  keyFile: string | undefined;
  /** The environment variables that give --api and --key-file defaults, for the error message. */
  env: [string, string];
  out: NodeJS.WritableStream;
}): Promise<AdminApi> {
  const { command, out } = options;
  if (!options.api || !options.keyFile) throw new CommandError(command, `--api and --key-file are required (or ${options.env[0]} / ${options.env[1]})`);
  const base = options.api.replace(/\/+$/, '');
  const key = (await readFile(options.keyFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new CommandError(command, `cannot read the API key file ${options.keyFile}: ${error.code ?? error.message}`);
  })).trim();
  const send = async (method: string, path: string, json?: unknown) => {
    try {
      return await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CommandError(command, `${method} ${path}: cannot reach ${base} (${cause?.code ?? cause?.message ?? (error as Error).message})`);
    }
  };
  const failure = (method: string, path: string, status: number, text: string) => {
    let message = text;
    try {
      const error = (JSON.parse(text) as { error?: { code: string; message: string; issues?: Array<{ path: string; message: string }> } }).error;
      if (error) message = `${error.code}: ${error.message}${error.issues ? ` (${error.issues.map((i) => `${i.path}: ${i.message}`).join('; ')})` : ''}`;
    } catch {
      // not JSON
    }
    return new CommandError(command, `${method} ${path} → HTTP ${status}: ${message}`);
  };
  const request = async <T>(method: string, path: string, json?: unknown): Promise<T> => {
    const response = await send(method, path, json);
    const text = await response.text();
    if (!response.ok) throw failure(method, path, response.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    send,
    failure,
    request,
    async call(method, path, json) {
      const answer = await request(method, path, json);
      if (answer !== undefined) out.write(`${JSON.stringify(answer, null, 2)}\n`);
    },
  };
}

/** A JSON file given on the command line; a missing file or bad JSON becomes a CommandError. */
export async function readJsonFile(command: string, file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new CommandError(command, `cannot read ${file}: ${error.code ?? error.message}`);
  });
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CommandError(command, `${file} is not valid JSON: ${(error as Error).message}`);
  }
}
