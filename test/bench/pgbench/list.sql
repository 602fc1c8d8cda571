-- GET /api/notes: a bench user's first page (20 notes).
\set n random(1, :ntokens)
SELECT finote.note_list(t.token, NULL, coalesce(NULL::int, 20), NULL) FROM bench.tokens t WHERE t.n = :n;
