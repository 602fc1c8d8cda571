-- finote 1.2.2 -> 1.3: idempotent writes, a writer per tab, import (issue 23).
-- Applied with ALTER EXTENSION finote UPDATE (bin/finote-db migrate), in one
-- transaction, while the service runs. Additive: one new, empty table, two
-- indexes, new functions, note_update with one more optional argument; no
-- existing table's columns or rows are touched.

\echo Use "ALTER EXTENSION finote UPDATE TO '1.3'" to load this file. \quit

-- Idempotency keys (draft-ietf-httpapi-idempotency-key-header): a write sent
-- with a key is remembered with the answer it got, so that the same request
-- sent again (a client, or the shim, unsure whether the first one committed)
-- gets that answer again instead of doing the work twice. Keyed by the user:
-- one user's key never names another's request. request is a BLAKE2b-256 of
-- the request (method, route and body: extension/idempotency.c); answer the
-- result the write gave, written in the same transaction as the write, so a
-- key is remembered exactly when its write committed. Rows expire after
-- finote.idempotency_key_lifetime and are swept like the trash.
CREATE TABLE idempotency_keys (
  user_id    uuid NOT NULL REFERENCES users ON DELETE CASCADE,
  key        text NOT NULL,
  request    bytea NOT NULL,
  answer     jsonb,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, key)
);
-- The sweep of expired keys, oldest first, and a user's count of live ones.
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);
CREATE INDEX idempotency_keys_user_expires_idx ON idempotency_keys (user_id, expires_at);
-- Users' data: pg_dump carries it, so that a restored database still
-- answers a retry it had answered before.
SELECT pg_catalog.pg_extension_config_dump('idempotency_keys', '');
REVOKE ALL ON idempotency_keys FROM PUBLIC;

-- A keyed write is one statement: idempotency_claim first (the stored
-- answer of a repeat, or NULL after reserving the key), then, only when it
-- gave NULL, the write, whose answer idempotency_store keeps with the key
-- (shim/routes.c, KEYED). Errors (all SQLSTATEs of extension/README.md):
-- 22023 a malformed key, PTK09 the key's first request still running, PTK22
-- the key used for another request, PTK29 the user's live keys at
-- finote.idempotency_keys_max.
CREATE FUNCTION idempotency_claim(token text, key text, request text, body text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_idempotency_claim_1_3'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION idempotency_store(token text, key text, answer jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_idempotency_store_1_3'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- Expiry for cron (finote-db purge): the idempotency keys too. Same
-- arguments and result.
CREATE OR REPLACE FUNCTION purge(max_rows int DEFAULT 1000) RETURNS int
AS 'MODULE_PATHNAME', 'finote_purge_1_3'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION
  idempotency_claim(text, text, text, text),
  idempotency_store(text, text, jsonb)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  idempotency_claim(text, text, text, text),
  idempotency_store(text, text, jsonb)
TO finote_api;

-- A writer per tab (issue 23): note_update takes an optional writer, which
-- a client names within its session (the web app: one per browser tab).
-- The collapse of finote.revision_collapse then applies only onto a
-- revision written by the same session and the same writer, so that two
-- tabs of one session no longer collapse each other's text out of the
-- history; without it, 1.2.1's rule (the same session) stays. A function
-- that gains an argument is dropped and created again, as 1.2 did; calls of
-- 1.2 (seven arguments, positional or named) mean the same.
DROP FUNCTION note_update(text, uuid, text, text, boolean, text[], bigint);
CREATE FUNCTION note_update(token text, id uuid, title text DEFAULT NULL,
                            content text DEFAULT NULL, pinned boolean DEFAULT NULL,
                            tags text[] DEFAULT NULL, if_version bigint DEFAULT NULL,
                            writer text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_update_1_3'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION note_update(text, uuid, text, text, boolean, text[], bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION note_update(text, uuid, text, text, boolean, text[], bigint, text) TO finote_api;

-- Import asks, for each note of the document, whether another user holds
-- its id (then the note gets a new one): the primary keys lead with
-- user_id, so without these each question would read the whole table.
-- Built in the hop: writes to notes and trash wait while they are built
-- (about two seconds for a million notes).
CREATE INDEX notes_id_idx ON notes (id);
CREATE INDEX trash_id_idx ON trash (id);

-- Import (issue 23): the document finote.export writes, taken back into
-- the session's account in one transaction (extension/import.c). Errors:
-- 22023 naming the document's first malformed part, PTI29 an import of the
-- account already running.
CREATE FUNCTION import(token text, document jsonb) RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_import_1_3'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION import(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION import(text, jsonb) TO finote_api;

-- A large document arrives in parts: the shim spools the request body to a
-- file and sends it a part at a time, in the one transaction that then
-- imports import_parts() (extension/import_parts.c). The parts live in the
-- transaction's memory and go with it; they touch no table. Like every
-- function finote_api may call, they run with the pinned search_path.
CREATE FUNCTION import_part(part text) RETURNS void
AS 'MODULE_PATHNAME', 'finote_import_part_1_3'
LANGUAGE C VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION import_parts() RETURNS text
AS 'MODULE_PATHNAME', 'finote_import_parts_1_3'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION import_part(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION import_parts() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION import_part(text) TO finote_api;
GRANT EXECUTE ON FUNCTION import_parts() TO finote_api;
