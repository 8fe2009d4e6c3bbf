// Progress lines for long-running commands: what is happening, and how long each step took.
export interface Progress {
  step(message: string): void;
  done(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  /** Seconds since the progress started. */
  elapsed(): number;
}

export function createProgress(out: NodeJS.WritableStream = process.stderr): Progress {
  const started = performance.now();
  const stamp = () => `[${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s]`;
  return {
    step: (message) => out.write(`${stamp()} … ${message}\n`),
    done: (message) => out.write(`${stamp()} ✓ ${message}\n`),
    info: (message) => out.write(`${message}\n`),
    warn: (message) => out.write(`${stamp()} ! ${message}\n`),
    elapsed: () => (performance.now() - started) / 1000,
  };
}
