-- ============================================================================
-- Search under write load: storage settings of public.products
-- ============================================================================
-- Checkouts and stock-keepers change stock_quantity many times a second, editors change names
-- and descriptions a few times a second, while search reads approved products through ordered
-- partial indexes and, for the name tier, index-only scans (docs/catalogue.md, "How it stays
-- fast", measured in bench:catalogue under that load).
--
-- fillfactor 90: a stock change touches no indexed column, so it can be a HOT update (the new
-- row version on the same page, no new entry in any of the table's eleven indexes) when its
-- page has room. Pages filled to 100% (the default) sent every stock change to another page,
-- with a new entry in every index, GIN ones included: index growth that search then reads past.
--
-- Vacuum after 2,000 changed rows instead of 20% of the table (200,000 at 1,000,000 products):
-- an update clears its page's all-visible bit, and an index-only scan visits the table for
-- every entry on a page without it; frequent small vacuums set the bits back. With HOT updates
-- most of them only prune pages and skip the index passes (Postgres bypasses index vacuuming
-- when few pages have dead entries), so they are cheap. Analyze follows the same pace, so the
-- planner's statistics keep up with editors' changes.
alter table public.products set (
  fillfactor = 90,
  autovacuum_vacuum_scale_factor = 0,
  autovacuum_vacuum_threshold = 2000,
  autovacuum_vacuum_insert_scale_factor = 0,
  autovacuum_vacuum_insert_threshold = 2000,
  autovacuum_analyze_scale_factor = 0.02
);
