-- The opt-in search index of patch 04 (BENCH_SETUP_SQL=test/bench/experiments/search-index.sql).
-- Needs the contrib extensions pg_trgm (trigram GIN for ILIKE '%word%') and
-- btree_gin (user_id in the same GIN index). Takes ~3 minutes on 1M notes
-- here. Only a search statement with a plain "text ILIKE $pattern" clause
-- and per-call plans (patch 04) uses it; today's ILIKE ALL ($5) cannot.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;
SET maintenance_work_mem = '512MB';
CREATE INDEX notes_search_idx ON finote.notes
  USING gin (user_id, (title || ' ' || content) gin_trgm_ops);
ANALYZE finote.notes;
