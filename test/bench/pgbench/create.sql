-- POST /api/notes: the shim's statement with the same JSON body wrk sends.
\set n random(1, :ntokens)
SELECT jsonb_build_object('note', finote.note_create(t.token, b->>'title', b->>'content'))
  FROM bench.tokens t, bench.body b WHERE t.n = :n;
