// notesync: pushes a draft to the server (create or update) and keeps the
// drafts in localStorage consistent with what the server confirmed. Used by
// the editor while it is open, and by resumeDrafts() for drafts left behind
// (the user went back to the list, reloaded, or logged in again).

import { api, randomId, speaksV13 } from './api.v3.js';
import { backoffDelay } from './saver.v2.js';
import { loadDraft, saveDraft, removeDraft, listDrafts, sameAsNote } from './drafts.v3.js';

const inflight = new Map();   // draft key -> promise of the request on the wire

// The fields of a note to send, from a draft or a form.
export function noteFields(payload) {
  const f = { title: payload.title || '', content: payload.content || '' };
  if ('pinned' in payload) f.pinned = !!payload.pinned;
  if (Array.isArray(payload.tags)) f.tags = payload.tags;
  return f;
}

// A create for the draft of noteId (null: a new note; an id: a note deleted
// elsewhere) on a finote 1.3 server: the one sent before and not answered
// yet, if the draft holds one, else a new Idempotency-Key for these fields,
// kept in the draft before anything is sent. A key is only ever sent with
// the body it was first sent with (another body would be refused, 422).
function pendingCreate(userId, noteId, fields) {
  const draft = loadDraft(userId, noteId);
  const c = draft && draft.create;
  if (c && typeof c.key === 'string' && c.body && typeof c.body === 'object') return c;
  const create = { key: randomId(), body: fields };
  if (draft) saveDraft(userId, noteId, { ...draft, create });
  return create;
}

function withoutCreate(draft) {
  const d = { ...draft };
  delete d.create;
  return d;
}

// Create the note of a draft: {note, from}, from being where its draft is
// now. When the draft's create went out before with other text (the answer
// was lost and the user typed on), that create is sent again as it was,
// which answers the note it made, and the text typed since is saved on
// that note; the draft moves to the note first, so nothing creates it twice.
async function create(userId, noteId, payload) {
  const fields = noteFields(payload);
  if (!(await speaksV13())) return { note: await api.createNote(fields), from: noteId };
  const pending = pendingCreate(userId, noteId, fields);
  const note = await api.createNote(pending.body, pending.key);
  if (JSON.stringify(pending.body) === JSON.stringify(fields)) return { note, from: noteId };
  const draft = loadDraft(userId, noteId);
  removeDraft(userId, noteId);
  if (draft) saveDraft(userId, note.id, { ...withoutCreate(draft), base_version: note.version, base_updated_at: note.updated_at });
  try {
    return { note: await api.updateNote(note.id, fields, note.version), from: note.id };
  } catch (e) {
    e.createdNote = note;   // the caller edits that note from now on
    throw e;
  }
}

// "Keep both" of an edit conflict: the text of the draft of noteId as a new
// note, with a key kept in that draft, so a retry never makes two.
export async function createFromDraft(userId, noteId, fields) {
  if (!(await speaksV13())) return api.createNote(fields);
  const pending = pendingCreate(userId, noteId, fields);
  return api.createNote(pending.body, pending.key);
}

// payload.base_version: the note's version the text was written on (sent as
// If-Match; a 412 means the note changed elsewhere meanwhile, and the draft
// stays until the user has chosen which text to keep).
async function send(userId, noteId, payload) {
  let note;
  let from = noteId;   // where the draft is
  if (noteId) {
    try {
      note = await api.updateNote(noteId, noteFields(payload), payload.base_version);
    } catch (e) {
      // Deleted elsewhere while the user was typing: keep the text as a new note.
      if (e.code !== 'not_found') throw e;
      ({ note, from } = await create(userId, noteId, payload));
      note.recreated = true;
    }
  } else {
    ({ note, from } = await create(userId, null, payload));
  }
  // Bookkeeping in localStorage: the draft follows the note to its id, and
  // goes away once the server has accepted exactly what it holds (if the
  // user typed on meanwhile, the draft differs from what was sent and stays).
  // Text typed on meanwhile now builds on the version just saved; a create
  // answered is no longer pending.
  const draft = loadDraft(userId, from);
  const acknowledged = draft && sameAsNote(draft, payload);
  const rebased = draft && { ...withoutCreate(draft), base_version: note.version, base_updated_at: note.updated_at };
  if (note.id !== from) {
    removeDraft(userId, from);
    if (draft && !acknowledged) saveDraft(userId, note.id, rebased);
  } else if (acknowledged) {
    removeDraft(userId, from);
  } else if (draft) {
    saveDraft(userId, from, { ...rebased, create: undefined });
  }
  return note;
}

// Save one note's text. Requests for the same note never overlap, so a new
// note is created once even when a retry and a resume race.
export function pushDraft(userId, noteId, payload) {
  const key = userId + '.' + (noteId || 'new');
  const before = inflight.get(key);
  const p = (before ? before.catch(() => {}) : Promise.resolve())
    .then(() => {
      // A new note created by the request we waited for: update that one instead.
      if (!noteId && before && before.createdId) noteId = before.createdId;
      return send(userId, noteId, payload);
    })
    .then((note) => { if (!noteId || note.id !== noteId) p.createdId = note.id; return note; },
      (e) => { if (e.createdNote) p.createdId = e.createdNote.id; throw e; })
    .finally(() => { if (inflight.get(key) === p) inflight.delete(key); });
  inflight.set(key, p);
  return p;
}

// Drafts left on this device: try to save each; on a blip, try again later.
let resumeTimer = null;
let resumeAttempt = 0;
let resumeRunning = false;

export function stopResume() {
  clearTimeout(resumeTimer);
  resumeTimer = null;
  resumeAttempt = 0;
}

// onProgress({pending, saved, error, retryInMs}) after each round.
export async function resumeDrafts(userId, onProgress, skipNoteId) {
  if (resumeRunning) return;
  resumeRunning = true;
  clearTimeout(resumeTimer);
  resumeTimer = null;
  let saved = 0;
  let lastError = null;
  try {
    for (const { noteId, draft } of listDrafts(userId)) {
      if (skipNoteId !== undefined && noteId === skipNoteId) continue;   // the editor has it
      if (!noteId && !draft.title && !draft.content && !(draft.tags || []).length) {
        removeDraft(userId, null);
        continue;
      }
      try {
        await pushDraft(userId, noteId, draft);
        saved++;
      } catch (e) {
        lastError = e;
        if (e.sessionExpired || e.retryable) break;    // same answer for the rest
      }
    }
  } finally {
    resumeRunning = false;
  }
  const pending = listDrafts(userId).length;
  let retryInMs = 0;
  if (pending && lastError && lastError.retryable) {
    retryInMs = backoffDelay(resumeAttempt++);
    resumeTimer = setTimeout(() => resumeDrafts(userId, onProgress, skipNoteId), retryInMs);
  } else {
    resumeAttempt = 0;
  }
  onProgress({ pending, saved, error: lastError, retryInMs });
}
