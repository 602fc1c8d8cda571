-- PATCH /api/notes/{id} with a new content (so updated_at moves).
\set n random(1, :npairs)
\set r random(1, 1000000000)
SELECT jsonb_build_object('note', finote.note_update(g.token, g.id, NULL, 'Edited ' || :r || ' ' || (b->>'content')))
  FROM bench.get g, bench.body b WHERE g.n = :n;
