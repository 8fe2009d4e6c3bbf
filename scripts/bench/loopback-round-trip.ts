// Machine probe, not a product benchmark: what one message hop between two Node processes costs
// here — a 100-byte ping-pong over loopback TCP (TCP_NODELAY), round-trip time and the client's CPU
// per round trip (one write, one read, one event-loop turn). The Security Server exchange crosses
// about seven such process boundaries; compare machines with this before comparing their
// exchange benchmarks (docs/performance.md).
//
// Usage: npx tsx scripts/bench/loopback-round-trip.ts [--round-trips 20000] [--rounds 2]
import { fork } from 'node:child_process';
import { connect, createServer, type AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

if (process.env.LOOPBACK_ECHO === '1') {
  const server = createServer({ noDelay: true }, (socket) => socket.on('data', (chunk) => socket.write(chunk)));
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as AddressInfo).port));
} else {
  const { values } = parseArgs({ options: { 'round-trips': { type: 'string', default: '20000' }, rounds: { type: 'string', default: '2' } } });
  const n = Number(values['round-trips']);
  const rounds = Number(values.rounds);
  const child = fork(process.argv[1]!, [], { env: { ...process.env, LOOPBACK_ECHO: '1' }, execArgv: process.execArgv });
  const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve(Number(m))));
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise((resolve) => socket.once('connect', resolve));
  const message = Buffer.alloc(100, 0x61);
  try {
    for (let round = 1; round <= rounds; round++) {
      let done = 0;
      const start = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      await new Promise<void>((resolve) => {
        const onData = () => {
          done += 1;
          if (done === n) {
            socket.off('data', onData);
            resolve();
          } else socket.write(message);
        };
        socket.on('data', onData);
        socket.write(message);
      });
      const micros = Number(process.hrtime.bigint() - start) / 1000;
      const used = process.cpuUsage(cpu);
      console.log(`round ${round}: ${n} round trips, ${(micros / n).toFixed(1)} µs each, client CPU ${((used.user + used.system) / n).toFixed(1)} µs per round trip`);
    }
  } finally {
    socket.destroy();
    child.kill();
  }
}
