// drafts: what the user typed in a note, kept in localStorage until the
// server has confirmed it. One entry per user and note ("new" for a note the
// server has not created yet), so a reload, a crash, an expired session or a
// database restart never loses typed text. Only note text is stored here:
// never a password or a session token.

const PREFIX = 'finote.draft.v1.';

function key(userId, noteId) {
  return PREFIX + userId + '.' + (noteId || 'new');
}

function storage() {
  try { return window.localStorage; } catch { return null; } // blocked storage: no drafts
}

export function loadDraft(userId, noteId) {
  const s = storage();
  if (!s) return null;
  try {
    const d = JSON.parse(s.getItem(key(userId, noteId)));
    return d && typeof d === 'object' ? d : null;
  } catch { return null; }
}

// draft: {title, content, pinned?, tags?, base_version?, base_updated_at?, create?}
// base_version is the note's version (finote 1.2) the text was written on:
// saving it later sends If-Match with it, so text written on an old copy
// meets a conflict instead of overwriting newer text. Drafts from before
// 1.2 have only base_updated_at.
// create {key, body} (finote 1.3): a create sent for this draft with its
// Idempotency-Key and the exact fields it sent, until the server has
// answered it; sending them again after a reload or a failover answers the
// same note instead of making a second. A save of the draft keeps it.
export function saveDraft(userId, noteId, draft) {
  const s = storage();
  if (!s) return false;
  try {
    const stored = 'create' in draft ? null : loadDraft(userId, noteId);
    const create = stored && stored.create ? { create: stored.create } : {};
    s.setItem(key(userId, noteId), JSON.stringify({ ...draft, ...create, saved_locally_at: new Date().toISOString() }));
    return true;
  } catch { return false; } // quota full: the editor still holds the text
}

export function removeDraft(userId, noteId) {
  const s = storage();
  if (s) try { s.removeItem(key(userId, noteId)); } catch { /* ignore */ }
}

// Every draft of one user: [{noteId, draft}], noteId null for a new note.
export function listDrafts(userId) {
  const s = storage();
  const out = [];
  if (!s) return out;
  const p = PREFIX + userId + '.';
  for (let i = 0; i < s.length; i++) {
    const k = s.key(i);
    if (!k || !k.startsWith(p)) continue;
    const id = k.slice(p.length);
    const d = loadDraft(userId, id === 'new' ? null : id);
    if (d) out.push({ noteId: id === 'new' ? null : id, draft: d });
  }
  return out;
}

const FIELDS = ['title', 'content', 'pinned', 'tags'];
const norm = (o, k) => (k === 'tags' ? (Array.isArray(o.tags) ? o.tags.join('\n') : null)
  : k === 'pinned' ? (k in o ? !!o.pinned : null) : (o[k] || ''));

// The same text as `other` (a note from the server, or a payload that was
// sent)? pinned and tags count only where both sides have them.
export function sameAsNote(draft, other) {
  if (!draft || !other) return false;
  for (const k of FIELDS) {
    const a = norm(draft, k);
    const b = norm(other, k);
    if (a !== null && b !== null && a !== b) return false;
  }
  return true;
}
