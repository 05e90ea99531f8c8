export { type ClientOptions, VodkitClient } from './client.ts';
export { type IframeSnippetOptions, responsiveIframe } from './embed.ts';
export * from './errors.ts';
export * from './types.ts';
