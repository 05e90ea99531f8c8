export * from './errors.ts';
export * from './types.ts';
export { VodkitClient, type ClientOptions } from './client.ts';
