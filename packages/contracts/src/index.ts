export * from './identifiers.ts';
export * from './global-configuration.ts';
export * from './devnet-manifest.ts';
export * from './center-api.ts';
export * from './security-server-api.ts';
export * from './adapter-api.ts';
export * from './personal-link-api.ts';
