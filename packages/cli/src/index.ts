export { startDevnet, describeDevnet, type Devnet, type DevnetOptions } from './devnet/devnet.ts';
export { curlCommand } from './devnet/manifest.ts';
export { createProgress, type Progress } from './progress.ts';
export { DEFAULT_PORT_BASE, devnetPorts } from './devnet/ports.ts';
