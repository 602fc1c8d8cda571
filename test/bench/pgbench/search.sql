-- GET /api/notes?q=word: first page of a search for a word taken from one
-- of that user's notes (natural word frequencies).
\set n random(1, :nsearch)
SELECT finote.note_list(s.token, s.q, coalesce(NULL::int, 20), NULL) FROM bench.search s WHERE s.n = :n;
