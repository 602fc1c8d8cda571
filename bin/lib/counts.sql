-- What the finote schema holds, in one line for finote-db's messages.
SELECT pg_catalog.format('%s users, %s sessions, %s notes',
       (SELECT count(*) FROM finote.users), (SELECT count(*) FROM finote.sessions),
       (SELECT count(*) FROM finote.notes));
