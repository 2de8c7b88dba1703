// The endpoints of health, for docs/openapi.json.
import type { Endpoint } from '../_shared/api.ts';

export const endpoints: Endpoint[] = [{
  method: 'get',
  path: '/health',
  summary: 'Whether the database answers, and the newest applied migration',
  caller: 'public',
  responses: {
    200: {
      description: 'Healthy.',
      data: {
        type: 'object',
        properties: {
          database: {
            type: 'object',
            properties: {
              reachable: { type: 'boolean' },
              latest_migration: { type: ['string', 'null'] },
              latency_ms: { type: ['integer', 'null'] },
            },
          },
          checked_at: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
}];
