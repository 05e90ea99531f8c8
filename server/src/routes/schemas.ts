/** JSON schemas several routes share. */

/** `?page=&perPage=` of every list endpoint: pages from 1, at most 100 items a page. */
export const pageQuery = {
  type: 'object',
  properties: {
    page: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1 },
    perPage: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
  },
  additionalProperties: false,
} as const;

export interface PageQuery {
  page: number;
  perPage: number;
}

/** `:videoId` in a route's path. */
export const videoParams = {
  type: 'object',
  required: ['videoId'],
  properties: { videoId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
