// A load generator's connection for our benchmarks: one keep-alive socket to 127.0.0.1 with one
// request in flight at a time and a minimal HTTP/1.1 response parser (Content-Length bodies only), so
// the generator costs little CPU next to the server it measures. Requests are written as given.
import { connect, type Socket } from 'node:net';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

export interface Response {
  status: number;
  body: Buffer;
}

/** One keep-alive connection with one request in flight at a time (raw socket, minimal HTTP/1.1 parser). */
export class Connection {
  #socket: Socket | undefined;
  #buffer: Buffer = EMPTY;
  #waiting: { resolve: (r: Response) => void; reject: (e: Error) => void } | undefined;
  readonly #port: number;
  constructor(port: number) {
    this.#port = port;
  }

  #open(): Socket {
    const socket = connect({ host: '127.0.0.1', port: this.#port, noDelay: true });
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

  request(bytes: string): Promise<Response> {
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      (this.#socket ?? this.#open()).write(bytes, 'latin1');
    });
  }

  close(): void {
    this.#socket?.destroy();
  }

  #parse(): void {
    const buffer = this.#buffer;
    const headerEnd = buffer.indexOf(CRLFCRLF);
    if (headerEnd < 0) return;
    const head = buffer.toString('latin1', 0, headerEnd);
    const status = Number(head.slice(9, 12));
    const lower = head.toLowerCase();
    const at = lower.indexOf('\r\ncontent-length:');
    let length = 0;
    if (at >= 0) {
      const end = lower.indexOf('\r\n', at + 2);
      length = Number(lower.slice(at + 17, end === -1 ? undefined : end).trim());
    } else if (lower.includes('\r\ntransfer-encoding: chunked')) {
      throw new Error('chunked responses are not expected here');
    }
    const start = headerEnd + 4;
    if (buffer.length < start + length) return;
    const body = buffer.subarray(start, start + length);
    this.#buffer = buffer.length > start + length ? buffer.subarray(start + length) : EMPTY;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (lower.includes('\r\nconnection: close')) {
      this.#socket?.destroy();
      this.#socket = undefined;
    }
    waiting?.resolve({ status, body });
  }
}
