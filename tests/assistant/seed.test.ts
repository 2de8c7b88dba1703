// The knowledge base the seed gives the assistant.
import { describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { asAnon } from '../support/postgrest.ts';

describe('seeded knowledge base', () => {
  it('has about twenty articles on the promised topics, a few in Swahili, readable by anyone', async () => {
    const [counts] = await superuser()`
      select count(*)::int as articles, count(*) filter (where language = 'sw')::int as swahili
      from public.knowledge_articles
      where business_id is null
        and tags && '{soil,irrigation,pests,post-harvest,animal feed,fertiliser,udongo,umwagiliaji,wadudu,uhifadhi,lishe}'`;
    expect(counts.articles).toBeGreaterThanOrEqual(18);
    expect(counts.swahili).toBeGreaterThanOrEqual(3);
    const visible = await asAnon((tx) => tx`select title from public.knowledge_articles where search_vector @@ to_tsquery('simple', 'aflatoxin')`);
    expect(visible.data!.map((r) => r.title)).toEqual(expect.arrayContaining(['Drying and storing maize safely', 'Kuhifadhi mahindi baada ya mavuno']));
  });
});
