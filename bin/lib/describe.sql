-- A schema description of the finote extension in the current database, one
-- sorted line per fact: what guarantee 3 of finote-release check compares
-- between a fresh install and an upgraded one.
WITH ext AS (SELECT e.oid AS extoid, e.extnamespace, e.extconfig, e.extcondition, e.extrelocatable, e.extowner
               FROM pg_catalog.pg_extension e WHERE e.extname = 'finote'),
members AS (
  SELECT d.classid, d.objid FROM pg_catalog.pg_depend d, ext
   WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.refobjid = ext.extoid AND d.deptype = 'e'),
rels AS (
  SELECT c.* , c.oid AS reloid FROM pg_catalog.pg_class c JOIN members m
      ON m.classid = 'pg_catalog.pg_class'::regclass AND m.objid = c.oid),
procs AS (
  SELECT p.*, p.oid AS procoid FROM pg_catalog.pg_proc p JOIN members m
      ON m.classid = 'pg_catalog.pg_proc'::regclass AND m.objid = p.oid)
SELECT line FROM (
  SELECT 'member: ' || pg_catalog.pg_describe_object(classid, objid, 0) AS line FROM members
  UNION ALL
  SELECT pg_catalog.format('schema %s owner=%s acl=%s', n.nspname, n.nspowner::regrole, n.nspacl)
    FROM pg_catalog.pg_namespace n, ext WHERE n.oid = ext.extnamespace
  UNION ALL
  SELECT pg_catalog.format('relation %s kind=%s owner=%s acl=%s rls=%s/%s options=%s persistence=%s',
         reloid::regclass, relkind, relowner::regrole, relacl, relrowsecurity, relforcerowsecurity,
         reloptions, relpersistence) FROM rels
  UNION ALL
  SELECT pg_catalog.format('column %s.%s type=%s notnull=%s default=%s identity=%s generated=%s collation=%s acl=%s',
         r.reloid::regclass, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
         pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated,
         CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::regcollation::text END, a.attacl)
    FROM rels r JOIN pg_catalog.pg_attribute a ON a.attrelid = r.reloid AND a.attnum > 0 AND NOT a.attisdropped
    JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  UNION ALL
  SELECT pg_catalog.format('column order %s: %s', r.reloid::regclass,
         (SELECT pg_catalog.string_agg(a.attname, ', ' ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
           WHERE a.attrelid = r.reloid AND a.attnum > 0 AND NOT a.attisdropped))
    FROM rels r WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
  UNION ALL
  SELECT pg_catalog.format('constraint %s.%s: %s', co.conrelid::regclass, co.conname,
         pg_catalog.pg_get_constraintdef(co.oid))
    FROM pg_catalog.pg_constraint co JOIN rels r ON r.reloid = co.conrelid
  UNION ALL
  SELECT pg_catalog.format('index %s: %s', i.indexrelid::regclass, pg_catalog.pg_get_indexdef(i.indexrelid))
    FROM pg_catalog.pg_index i JOIN rels r ON r.reloid = i.indrelid
  UNION ALL
  SELECT pg_catalog.format('trigger %s: %s', tg.tgname, pg_catalog.pg_get_triggerdef(tg.oid))
    FROM pg_catalog.pg_trigger tg JOIN rels r ON r.reloid = tg.tgrelid WHERE NOT tg.tgisinternal
  UNION ALL
  SELECT pg_catalog.format('policy %s.%s: %s %s using=%s check=%s', po.polrelid::regclass, po.polname,
         po.polcmd, po.polroles::regrole[], pg_catalog.pg_get_expr(po.polqual, po.polrelid),
         pg_catalog.pg_get_expr(po.polwithcheck, po.polrelid))
    FROM pg_catalog.pg_policy po JOIN rels r ON r.reloid = po.polrelid
  UNION ALL
  SELECT pg_catalog.format('function %s owner=%s secdef=%s config=%s acl=%s', procoid::regprocedure,
         proowner::regrole, prosecdef, proconfig, proacl) FROM procs
  UNION ALL
  SELECT pg_catalog.format(E'definition %s:\n%s', procoid::regprocedure,
         CASE WHEN prokind IN ('f', 'p', 'w') THEN pg_catalog.pg_get_functiondef(procoid) ELSE prokind::text END)
    FROM procs
  UNION ALL
  SELECT pg_catalog.format('comment %s: %s', pg_catalog.pg_describe_object(m.classid, m.objid, 0), d.description)
    FROM members m JOIN pg_catalog.pg_description d ON d.classoid = m.classid AND d.objoid = m.objid AND d.objsubid = 0
  UNION ALL
  SELECT pg_catalog.format('config dump %s condition=%L', u.tab::regclass, u.cond)
    FROM ext, unnest(ext.extconfig, ext.extcondition) AS u(tab, cond)
  UNION ALL
  SELECT pg_catalog.format('extension relocatable=%s owner=%s', extrelocatable, extowner::regrole) FROM ext
) facts ORDER BY line;
