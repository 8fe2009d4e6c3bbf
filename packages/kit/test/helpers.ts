import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../src/index.ts';

/** A kit logger whose JSON lines are captured for assertions. */
export function captureLogger(name = 'test', level: 'debug' | 'silent' = 'debug'): { logger: Logger; lines: () => Array<Record<string, unknown>>; raw: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ name, level, destination });
  const raw = () => chunks.join('');
  const lines = () =>
    raw()
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, raw };
}
