-- What pg_dump carries of the extension's tables (pg_extension_config_dump),
-- one "table condition" line each: an upgrade must not lose one.
SELECT pg_catalog.format('%s %L', u.tab::regclass, u.cond)
  FROM pg_catalog.pg_extension e, unnest(e.extconfig, e.extcondition) AS u(tab, cond)
 WHERE e.extname = 'finote' ORDER BY 1;
