// list: the user's notes, newest first (pinned first on a 1.1 server), with
// search as you type, a tag filter (1.1), "Load more" paging, and a notice
// for drafts that are still waiting to be saved.

import { api, describe } from './api.v3.js';
import { $, h, showView, setText, debounce, announce, when } from './dom.v2.js';
import { listDrafts } from './drafts.v3.js';
import { resumeDrafts } from './notesync.v3.js';

const PAGE = 20;
const SEARCH_MS = 250;

const state = { q: '', tag: '', cursor: null, count: 0, seq: 0, controller: null, failedAppend: false };

function snippet(text) {
  const s = (text || '').replace(/\s+/g, ' ').trim();
  return s.length > 140 ? s.slice(0, 139) + '…' : s;
}

function noteItem(note, hasDraft) {
  const meta = h('p', { class: 'note-meta' });
  if (note.pinned) meta.append(h('span', { class: 'badge badge-pin' }, 'Pinned'));
  for (const t of note.tags || []) meta.append(h('span', { class: 'badge badge-tag' }, '#' + t));
  if (hasDraft) meta.append(h('span', { class: 'badge badge-draft' }, 'Unsaved changes on this device'));
  meta.append(h('time', { datetime: note.updated_at, title: new Date(note.updated_at).toLocaleString() },
    'Edited ' + when(note.updated_at)));
  return h('li', { class: 'note' + (note.pinned ? ' pinned' : '') },
    h('a', { class: 'note-link', href: '#/note/' + encodeURIComponent(note.id), 'data-id': note.id },
      h('h2', { class: 'note-title' + (note.title ? '' : ' untitled') }, note.title || 'Untitled'),
      note.content ? h('p', { class: 'note-snippet' }, snippet(note.content)) : null,
      meta));
}

function statusText(count, more) {
  const filter = state.q ? ` matching “${state.q}”` : '';
  const tag = state.tag ? ` tagged #${state.tag}` : '';
  if (count === 0) {
    if (state.q || state.tag) return `No notes${filter}${tag}.`;
    return 'No notes yet. Create your first one with “New note”.';
  }
  const n = count === 1 ? '1 note' : `${count} notes`;
  return `${more ? 'Showing ' + n : n}${filter}${tag}.`;
}

async function load(ctx, append) {
  if (state.controller) state.controller.abort();
  const controller = new AbortController();
  state.controller = controller;
  const seq = ++state.seq;
  const list = $('notes');
  setText('list-error', '');
  $('list-retry').hidden = true;
  $('notes').setAttribute('aria-busy', 'true');
  if (!append) setText('list-status', 'Loading…');
  let page;
  try {
    page = await api.listNotes({ q: state.q, tag: state.tag, cursor: append ? state.cursor : null, limit: PAGE },
      { signal: controller.signal });
  } catch (e) {
    if (e.name === 'AbortError' || seq !== state.seq) return;
    $('notes').removeAttribute('aria-busy');
    if (e.sessionExpired) { ctx.sessionExpired(); return; }
    setText('list-status', '');
    setText('list-error', describe(e));
    $('list-retry').hidden = !e.retryable;
    state.failedAppend = append;
    return;
  }
  if (seq !== state.seq) return;
  state.controller = null;
  $('notes').removeAttribute('aria-busy');
  const notes = page.notes || [];
  const drafts = new Set(listDrafts(ctx.user.id).map((d) => d.noteId));
  if (!append) { list.replaceChildren(); state.count = 0; }
  const firstNew = notes.length ? noteItem(notes[0], drafts.has(notes[0].id)) : null;
  if (firstNew) list.append(firstNew);
  for (const n of notes.slice(1)) list.append(noteItem(n, drafts.has(n.id)));
  state.count += notes.length;
  state.cursor = page.next_cursor || null;
  $('load-more').hidden = !state.cursor;
  setText('list-status', statusText(state.count, !!state.cursor));
  if (append && firstNew) firstNew.querySelector('a').focus();
}

// The tag filter, on a server whose HTTP API speaks 1.1 (GET /api/tags).
async function loadTags(ctx) {
  if (!ctx.v11) return;
  let tags;
  try { tags = await api.tags(); } catch { return; }
  const select = $('tag-filter');
  const keep = state.tag;
  select.replaceChildren(h('option', { value: '' }, 'All tags'),
    ...tags.map((t) => h('option', { value: t.tag }, `#${t.tag} (${t.count})`)));
  if (keep && !tags.some((t) => t.tag === keep)) select.append(h('option', { value: keep }, '#' + keep));
  select.value = keep;
}

function showDraftProgress(ctx, p) {
  if (p.pending === 0) {
    setText('drafts-notice', '');
    if (p.saved > 0) { announce('Your unsaved changes are saved now.'); load(ctx, false); }
    return;
  }
  const what = p.pending === 1 ? '1 note has changes' : `${p.pending} notes have changes`;
  let tail = ' that are not saved yet. They are kept on this device';
  if (p.error && p.error.retryable) tail += `; retrying in ${Math.max(1, Math.round(p.retryInMs / 1000))} s.`;
  else if (p.error && !p.error.sessionExpired) tail += ': ' + describe(p.error) + ' Open the note to fix it.';
  else tail += '.';
  setText('drafts-notice', what + tail);
  if (p.error && p.error.sessionExpired) ctx.sessionExpired();
}

export function refreshTags(ctx) { return loadTags(ctx); }

export function openList(ctx, flash) {
  document.title = 'Your notes · Finote';
  $('search').value = state.q;
  $('tag-filter').value = state.tag;
  $('tag-filter-field').hidden = !ctx.v11;
  showView('view-list');
  if (flash) announce(flash);
  load(ctx, false);
  loadTags(ctx);
  if (listDrafts(ctx.user.id).length) resumeDrafts(ctx.user.id, (p) => showDraftProgress(ctx, p));
  else setText('drafts-notice', '');
}

export function resetList() {
  if (state.controller) state.controller.abort();
  Object.assign(state, { q: '', tag: '', cursor: null, count: 0, controller: null });
  state.seq++;
  $('notes').replaceChildren();
  $('tag-filter').replaceChildren(h('option', { value: '' }, 'All tags'));
  setText('list-status', '');
  setText('list-error', '');
  $('list-retry').hidden = true;
  setText('drafts-notice', '');
}

export function initList(ctx) {
  const search = debounce(() => load(ctx, false), SEARCH_MS);
  $('search').addEventListener('input', () => {
    const q = $('search').value.trim();
    if (q === state.q) return;
    state.q = q;
    search();
  });
  $('list-tools').addEventListener('submit', (e) => {   // Enter in the search box: search now
    e.preventDefault();
    search.cancel();
    state.q = $('search').value.trim();
    load(ctx, false);
  });
  $('tag-filter').addEventListener('change', () => {
    state.tag = $('tag-filter').value;
    load(ctx, false);
  });
  $('load-more').addEventListener('click', () => load(ctx, true));
  $('list-retry').addEventListener('click', () => load(ctx, state.failedAppend));
}
