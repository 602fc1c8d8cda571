-- The columns of the user data tables (users, sessions and notes, and from
-- 1.2 trash and revisions), one "table column type" line
-- each (spaces in the type as '_'): guarantee 6 of finote-release check
-- compares them before and after an upgrade, and the row snapshot of
-- guarantees 2 and 7 reads the old version's columns.
SELECT c.relname || ' ' || a.attname || ' ' || replace(pg_catalog.format_type(a.atttypid, a.atttypmod), ' ', '_')
  FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = 'finote'::regnamespace AND c.relname IN ('users', 'sessions', 'notes', 'trash', 'revisions')
   AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum;
