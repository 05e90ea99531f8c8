export { type ClientOptions, VodkitClient } from './client.ts';
export * from './errors.ts';
export * from './types.ts';
