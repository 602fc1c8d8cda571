// history: a note's earlier versions (finote 1.2), newest first and paged,
// one of them in full, and restoring it. A restore is a change like any
// other, so the text it replaces becomes a revision too: "Undo the restore"
// restores that one.
//   #/note/<id>/history          the list
//   #/note/<id>/history/<rev>    one version

import { api, describe, randomId } from './api.v3.js';
import { $, h, showView, setText, announce, when } from './dom.v2.js';

const PAGE = 20;
const state = { noteId: null, cursor: null, count: 0, seq: 0 };
let shown = null;   // {noteId, rev, undo}: the version on screen, and the revision an undo restores

const noteHref = (id) => '#/note/' + encodeURIComponent(id);
const historyHref = (id) => noteHref(id) + '/history';

function failed(ctx, e, errorId) {
  if (e.sessionExpired) { ctx.sessionExpired(); return; }
  setText(errorId, describe(e));
}

function sizeWords(n) {
  return n === 1 ? '1 character' : `${n} characters`;
}

function revisionItem(noteId, r) {
  const meta = h('p', { class: 'note-meta' });
  for (const t of r.tags || []) meta.append(h('span', { class: 'badge badge-tag' }, '#' + t));
  meta.append(h('span', {}, sizeWords(r.content_length || 0)));
  meta.append(h('time', { datetime: r.created_at, title: new Date(r.created_at).toLocaleString() },
    'Saved ' + when(r.created_at)));
  return h('li', { class: 'note' },
    h('a', { class: 'note-link', href: historyHref(noteId) + '/' + encodeURIComponent(r.id) },
      h('h2', { class: 'note-title' + (r.title ? '' : ' untitled') }, r.title || 'Untitled'),
      h('p', { class: 'note-snippet' }, `Version ${r.version}`),
      meta));
}

async function loadPage(ctx, append) {
  const seq = ++state.seq;
  const noteId = state.noteId;
  setText('history-error', '');
  $('history-retry').hidden = true;
  if (!append) setText('history-status', 'Loading…');
  let page;
  try {
    page = await api.revisions(noteId, { cursor: append ? state.cursor : null, limit: PAGE });
  } catch (e) {
    if (seq !== state.seq) return;
    setText('history-status', '');
    $('history-retry').hidden = !e.retryable;
    failed(ctx, e, 'history-error');
    return;
  }
  if (seq !== state.seq) return;
  const list = $('revisions');
  if (!append) { list.replaceChildren(); state.count = 0; }
  const items = (page.revisions || []).map((r) => revisionItem(noteId, r));
  list.append(...items);
  state.count += items.length;
  state.cursor = page.next_cursor || null;
  $('history-more').hidden = !state.cursor;
  setText('history-status', state.count === 0
    ? 'No earlier versions yet: they appear here once the note is changed.'
    : (state.cursor ? 'Showing ' : '') + (state.count === 1 ? '1 earlier version.' : `${state.count} earlier versions.`));
  if (append && items.length) items[0].querySelector('a').focus();
}

export async function openHistory(ctx, noteId) {
  document.title = 'History · Finote';
  state.noteId = noteId;
  state.cursor = null;
  $('history-back').href = noteHref(noteId);
  setText('history-note-name', '');
  $('revisions').replaceChildren();
  $('history-more').hidden = true;
  showView('view-history');
  // The note's title for the heading; the note may be in the trash (404 here).
  api.getNote(noteId).then((n) => { if (state.noteId === noteId) setText('history-note-name', n.title || 'Untitled'); },
    () => {});
  await loadPage(ctx, false);
}

function showRevision(r) {
  const meta = $('revision-meta');
  meta.replaceChildren(h('span', {}, `Version ${r.version}`),
    h('time', { datetime: r.created_at, title: new Date(r.created_at).toLocaleString() }, 'saved ' + when(r.created_at)));
  setText('revision-name', r.title || 'Untitled');
  $('revision-name').classList.toggle('untitled', !r.title);
  setText('revision-tags', (r.tags || []).length ? 'Tags: ' + r.tags.join(', ') : '');
  setText('revision-content', r.content || '');
  $('revision-body').hidden = false;
}

export async function openRevision(ctx, noteId, rev) {
  document.title = 'Earlier version · Finote';
  const keep = shown && shown.noteId === noteId && shown.rev === rev ? shown : null;
  shown = { noteId, rev, undo: keep ? keep.undo : null };
  $('revision-back').href = historyHref(noteId);
  $('revision-open-note').href = noteHref(noteId);
  $('revision-body').hidden = true;
  $('revision-undo').hidden = !shown.undo;
  setText('revision-error', '');
  if (!keep) setText('revision-notice', '');
  showView('view-revision');
  let r;
  try {
    r = await api.revision(noteId, rev);
  } catch (e) {
    if (shown.rev === rev) failed(ctx, e, 'revision-error');
    return;
  }
  if (shown.rev !== rev) return;
  showRevision(r);
}

// Restore `rev` into the note, on the note's current version (If-Match).
// A restore that got no answer is sent again with the same Idempotency-Key
// (finote 1.3), which answers the first restore instead of doing a second;
// a new key only once one has been answered.
const restoreKeys = new Map();   // noteId/rev -> key of the restore not answered yet
async function restore(noteId, rev) {
  const note = await api.getNote(noteId);
  const which = noteId + '/' + rev;
  if (!restoreKeys.has(which)) restoreKeys.set(which, randomId());
  let restored;
  try {
    restored = await api.restoreRevision(noteId, rev, note.version, restoreKeys.get(which));
  } catch (e) {
    if (!e.retryable) restoreKeys.delete(which);   // answered (a refusal): nothing to repeat
    throw e;
  }
  restoreKeys.delete(which);
  return { before: note, restored };
}

async function onRestore(ctx) {
  const { noteId, rev } = shown || {};
  if (!rev) return;
  const button = $('revision-restore');
  if (button.getAttribute('aria-busy')) return;
  button.setAttribute('aria-busy', 'true');
  setText('revision-error', '');
  try {
    const { before } = await restore(noteId, rev);
    // The text just replaced is now the newest revision: find it for "Undo".
    const page = await api.revisions(noteId, { limit: 5 });
    const undo = (page.revisions || []).find((r) => r.version === before.version);
    if (shown.rev !== rev) return;
    shown.undo = undo ? undo.id : null;
    $('revision-undo').hidden = !shown.undo;
    setText('revision-notice', 'Restored: the note holds this text now. The text it replaced is kept in the history.');
    announce('Version restored.');
  } catch (e) {
    if (shown.rev === rev) failed(ctx, e, 'revision-error');
  } finally {
    button.removeAttribute('aria-busy');
  }
}

async function onUndo(ctx) {
  const { noteId, rev, undo } = shown || {};
  if (!undo) return;
  const button = $('revision-undo');
  if (button.getAttribute('aria-busy')) return;
  button.setAttribute('aria-busy', 'true');
  setText('revision-error', '');
  try {
    await restore(noteId, undo);
    if (shown.rev !== rev) return;
    shown.undo = null;
    $('revision-undo').hidden = true;
    setText('revision-notice', 'Undone: the note holds the text it had before the restore.');
    announce('Restore undone.');
    $('revision-restore').focus();
  } catch (e) {
    if (shown.rev === rev) failed(ctx, e, 'revision-error');
  } finally {
    button.removeAttribute('aria-busy');
  }
}

export function initHistory(ctx) {
  $('history-more').addEventListener('click', () => loadPage(ctx, true));
  $('history-retry').addEventListener('click', () => loadPage(ctx, state.count > 0));
  $('revision-restore').addEventListener('click', () => onRestore(ctx));
  $('revision-undo').addEventListener('click', () => onUndo(ctx));
}
