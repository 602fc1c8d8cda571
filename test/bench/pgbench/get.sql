-- GET /api/notes/{id}: the shim's statement, token and id from a sample of
-- 20,000 (user, note) pairs (bench.get is a primary-key probe).
\set n random(1, :npairs)
SELECT jsonb_build_object('note', finote.note_get(g.token, g.id)) FROM bench.get g WHERE g.n = :n;
