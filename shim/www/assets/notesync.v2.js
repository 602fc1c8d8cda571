// notesync: pushes a draft to the server (create or update) and keeps the
// drafts in localStorage consistent with what the server confirmed. Used by
// the editor while it is open, and by resumeDrafts() for drafts left behind
// (the user went back to the list, reloaded, or logged in again).

import { api } from './api.v2.js';
import { backoffDelay } from './saver.v2.js';
import { loadDraft, saveDraft, removeDraft, listDrafts, sameAsNote } from './drafts.v2.js';

const inflight = new Map();   // draft key -> promise of the request on the wire

// The fields of a note to send, from a draft or a form.
export function noteFields(payload) {
  const f = { title: payload.title || '', content: payload.content || '' };
  if ('pinned' in payload) f.pinned = !!payload.pinned;
  if (Array.isArray(payload.tags)) f.tags = payload.tags;
  return f;
}

// payload.base_version: the note's version the text was written on (sent as
// If-Match; a 412 means the note changed elsewhere meanwhile, and the draft
// stays until the user has chosen which text to keep).
async function send(userId, noteId, payload) {
  let note;
  if (noteId) {
    try {
      note = await api.updateNote(noteId, noteFields(payload), payload.base_version);
    } catch (e) {
      // Deleted elsewhere while the user was typing: keep the text as a new note.
      if (e.code !== 'not_found') throw e;
      note = await api.createNote(noteFields(payload));
      note.recreated = true;
    }
  } else {
    note = await api.createNote(noteFields(payload));
  }
  // Bookkeeping in localStorage: the draft follows the note to its id, and
  // goes away once the server has accepted exactly what it holds (if the
  // user typed on meanwhile, the draft differs from what was sent and stays).
  // Text typed on meanwhile now builds on the version just saved.
  const draft = loadDraft(userId, noteId);
  const acknowledged = draft && sameAsNote(draft, payload);
  const rebased = draft && { ...draft, base_version: note.version, base_updated_at: note.updated_at };
  if (note.id !== noteId) {
    removeDraft(userId, noteId);
    if (draft && !acknowledged) saveDraft(userId, note.id, rebased);
  } else if (acknowledged) {
    removeDraft(userId, noteId);
  } else if (draft) {
    saveDraft(userId, noteId, rebased);
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
    .then((note) => { if (!noteId || note.id !== noteId) p.createdId = note.id; return note; })
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
