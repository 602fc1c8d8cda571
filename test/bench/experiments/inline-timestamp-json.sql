-- Patch 03 on the bench data set without installing a new version: let
-- _timestamp_json inline (BENCH_SETUP_SQL=test/bench/experiments/inline-timestamp-json.sql).
ALTER FUNCTION finote._timestamp_json(timestamptz) STABLE;
