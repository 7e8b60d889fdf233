import { describe, expect, it } from 'vitest';
import { provisionPostgres } from '../scripts/db/provision-postgres.ts';
import { silentLogger } from '../lib/logger.ts';
import { connectClient } from '../sut/db/pool.ts';
import { collectEnvironment } from './environment.ts';

describe('collectEnvironment', () => {
  it('records the settings that move figures and every one the server was started with, but where it listens', async () => {
    const db = await provisionPostgres({
      source: 'embedded',
      logger: silentLogger,
      durability: 'relaxed',
      settings: { random_page_cost: '1.5' },
    });
    try {
      const client = await connectClient(db.url);
      try {
        const env = await collectEnvironment(client, db.kind);
        expect(env.postgres.source).toBe('embedded');
        expect(env.postgres.version).toMatch(/^15\./);
        expect(env.postgres.settings).toMatchObject({
          shared_buffers: '512MB',
          max_wal_size: '1GB',
          random_page_cost: '1.5',
          fsync: 'off',
          synchronous_commit: 'off',
        });
        expect(Object.keys(env.postgres.settings)).not.toContain('port');
        expect(Object.keys(env.postgres.settings)).not.toContain('listen_addresses');
      } finally {
        await client.end();
      }
    } finally {
      await db.stop();
    }
  });
});
