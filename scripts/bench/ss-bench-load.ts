// Child process of security-server-exchange.ts: the load generator. A closed loop over N keep-alive
// connections (each sends its next request when the last one answered), written on raw sockets
// with a prebuilt request and a minimal HTTP/1.1 response parser, so that the generator itself
// costs as little CPU as possible on a machine it shares with the chain under test (the role wrk
// plays in the calibration; wrk is not installed here).
// Input: BENCH_CHILD = {"port","path","headers":{…},"bodySize","bodyKind"?,"connections","warmupSeconds","seconds","verifyEvery"}
// Emits {"phase":"measure-start"}, {"phase":"measure-end"} and finally {"result":{…}}, then exits.
import { connect, type Socket } from 'node:net';
import { emit } from './ss-bench-common.ts';

interface Input {
  port: number;
  path: string;
  headers: Record<string, string>;
  bodySize: number;
  /** `random` (default): random letters and digits, which LZ compressors cannot shrink; `json`: an array of records, as API answers are. */
  bodyKind?: 'random' | 'json';
  connections: number;
  warmupSeconds: number;
  seconds: number;
  /** Compare the whole echoed body on every n-th response (status and length are checked on all). */
  verifyEvery: number;
}
const input = JSON.parse(process.env.BENCH_CHILD ?? '{}') as Input;
process.stdin.resume();
process.stdin.on('end', () => process.exit(1)); // the parent is gone

/** A JSON document of exactly `size` bytes (ASCII), varied content. */
export function makeBody(size: number, kind: 'random' | 'json' = 'random'): Buffer {
  if (kind === 'json') return jsonBody(size);
  const prefix = '{"data":"';
  const suffix = '"}';
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const fill = Buffer.alloc(Math.max(0, size - prefix.length - suffix.length));
  let x = 2463534242;
  for (let i = 0; i < fill.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    fill[i] = alphabet.charCodeAt((x >>> 0) % alphabet.length);
  }
  return Buffer.concat([Buffer.from(prefix), fill, Buffer.from(suffix)]);
}

/** A JSON array of small records (ids, names, prices, tags), cut or padded to exactly `size` bytes. */
function jsonBody(size: number): Buffer {
  const parts: string[] = [];
  let length = 2;
  for (let i = 0; length < size; i++) {
    const item = JSON.stringify({ id: i, name: `item-${(i * 7919) % 997}`, price: (i * 37) % 10_000, stock: (i * 13) % 50, tags: ['a', 'b'] });
    parts.push(item);
    length += item.length + 1;
  }
  const text = `[${parts.join(',')}]`;
  // Exactly `size` bytes: the last record may be cut, which keeps the body a fixed size (not valid JSON then; the echo does not parse it).
  return Buffer.from(text.slice(0, size).padEnd(size, ' '));
}

const body = makeBody(input.bodySize, input.bodyKind);
const head =
  `POST ${input.path} HTTP/1.1\r\nHost: 127.0.0.1:${input.port}\r\n` +
  Object.entries({ 'content-type': 'application/json', ...input.headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('') +
  `Content-Length: ${body.length}\r\n\r\n`;
const requestBytes = Buffer.concat([Buffer.from(head, 'latin1'), body]);

interface Response {
  status: number;
  body: Buffer;
  close: boolean;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

/** One keep-alive connection with one request in flight at a time. */
class Connection {
  #socket: Socket | undefined;
  #buffer: Buffer = EMPTY;
  #waiting: { resolve: (r: Response) => void; reject: (e: Error) => void } | undefined;

  #open(): Socket {
    const socket = connect({ host: '127.0.0.1', port: input.port, noDelay: true });
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
    const fail = (error: Error) => {
      if (this.#socket === socket) this.#socket = undefined;
      this.#buffer = EMPTY;
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.reject(error);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
    this.#socket = socket;
    return socket;
  }

  request(): Promise<Response> {
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      (this.#socket ?? this.#open()).write(requestBytes);
    });
  }

  close(): void {
    this.#socket?.destroy();
  }

  #parse(): void {
    const buffer = this.#buffer;
    const headerEnd = buffer.indexOf(CRLFCRLF);
    if (headerEnd < 0) return;
    const headText = buffer.toString('latin1', 0, headerEnd);
    const lines = headText.split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    let length = -1;
    let chunked = false;
    let close = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      if (name === 'content-length') length = Number(line.slice(colon + 1).trim());
      else if (name === 'transfer-encoding') chunked = /chunked/i.test(line.slice(colon + 1));
      else if (name === 'connection') close = /close/i.test(line.slice(colon + 1));
    }
    const start = headerEnd + 4;
    let responseBody: Buffer;
    let end: number;
    if (chunked) {
      const parts: Buffer[] = [];
      let at = start;
      for (;;) {
        const lineEnd = buffer.indexOf('\r\n', at, 'latin1');
        if (lineEnd < 0) return;
        const size = parseInt(buffer.toString('latin1', at, lineEnd), 16);
        if (buffer.length < lineEnd + 2 + size + 2) return;
        if (size === 0) {
          end = lineEnd + 4;
          break;
        }
        parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      responseBody = Buffer.concat(parts);
    } else {
      if (length < 0) length = 0;
      if (buffer.length < start + length) return;
      end = start + length;
      responseBody = buffer.subarray(start, end);
    }
    this.#buffer = buffer.length > end ? buffer.subarray(end) : EMPTY;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (close) {
      this.#socket?.destroy();
      this.#socket = undefined;
    }
    waiting?.resolve({ status, body: responseBody, close });
  }
}

const latencies: number[] = []; // microseconds, measured requests only
let completed = 0;
let failed = 0;
let verified = 0;
const failures: Record<string, number> = {};
let sampleFailure: string | undefined;
const warmupEnd = Date.now() + input.warmupSeconds * 1000;
let measureStart = 0;
let measureEnd = Number.POSITIVE_INFINITY;
let measuring = false;

function fail(reason: string, detail?: string): void {
  failures[reason] = (failures[reason] ?? 0) + 1;
  if (measuring) failed += 1;
  sampleFailure ??= detail?.slice(0, 300);
}

async function worker(): Promise<void> {
  const connection = new Connection();
  let n = 0;
  const stopAt = warmupEnd + input.seconds * 1000;
  while (Date.now() < stopAt) {
    const t0 = process.hrtime.bigint();
    let response: Response;
    try {
      response = await connection.request();
    } catch (error) {
      fail('connection error', (error as Error).message);
      await new Promise((r) => setTimeout(r, 10));
      continue;
    }
    const t1 = process.hrtime.bigint();
    const done = Date.now();
    const counted = measuring && done <= measureEnd;
    n += 1;
    if (response.status !== 200) {
      fail(`HTTP ${response.status}`, response.body.toString('utf8'));
      continue;
    }
    if (response.body.length !== body.length) {
      fail('body length differs', `${response.body.length} bytes: ${response.body.subarray(0, 200).toString('utf8')}`);
      continue;
    }
    if (n % input.verifyEvery === 0) {
      if (!response.body.equals(body)) {
        fail('body differs');
        continue;
      }
      if (counted) verified += 1;
    }
    if (counted) {
      completed += 1;
      latencies.push(Number(t1 - t0) / 1000);
    }
  }
  connection.close();
}

emit({ ready: true });
setTimeout(() => {
  measuring = true;
  measureStart = performance.now();
  emit({ phase: 'measure-start' });
  setTimeout(() => {
    measureEnd = Date.now();
    measuring = false;
    const elapsed = (performance.now() - measureStart) / 1000;
    emit({ phase: 'measure-end' });
    finish(elapsed);
  }, input.seconds * 1000);
}, input.warmupSeconds * 1000);

let result: Record<string, unknown> | undefined;
let finished: () => void;
const resultReady = new Promise<void>((resolve) => (finished = resolve));
function finish(elapsed: number): void {
  const sorted = Float64Array.from(latencies).sort();
  const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! / 1000 : Number.NaN);
  result = {
    requests: completed,
    seconds: elapsed,
    perSecond: completed / elapsed,
    p50ms: pct(50),
    p90ms: pct(90),
    p99ms: pct(99),
    maxMs: sorted.length ? sorted[sorted.length - 1]! / 1000 : Number.NaN,
    failed,
    failures,
    sampleFailure,
    verified,
  };
  finished();
}

await Promise.all([resultReady, ...Array.from({ length: input.connections }, () => worker())]);
emit({ result });
process.exit(0);
