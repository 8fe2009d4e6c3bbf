export * from './errors.ts';
export * from './anchor.ts';
export * from './sign.ts';
export * from './verify.ts';
export * from './download.ts';
