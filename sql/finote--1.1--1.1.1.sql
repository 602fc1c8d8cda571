-- finote 1.1 -> 1.1.1: the note and user JSON without a trip through the SQL
-- function executor. Applied with ALTER EXTENSION finote UPDATE. No data and
-- no API change: every result stays byte for byte the same.

\echo Use "ALTER EXTENSION finote UPDATE TO '1.1.1'" to load this file. \quit

-- _timestamp_json was declared IMMUTABLE, but its body calls to_char(),
-- which is STABLE. The planner never inlines a SQL function whose body is
-- more volatile than its declaration, so every timestamp of every note and
-- user went through fmgr_sql, which parsed, planned and started its
-- statement again on each execution of the caller's kept plan: about a
-- quarter of the backend's CPU in note_get (test/bench/FINDINGS.md).
-- Declared STABLE, it inlines into _note_json and _user_json, which inline
-- into the API's statements.
ALTER FUNCTION _timestamp_json(timestamptz) STABLE;
