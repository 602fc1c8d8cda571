// editor: create and edit one note. Every keystroke goes to a localStorage
// draft at once; a second after typing stops (or on Save / Ctrl+S) the text
// goes to the server. When the network or the database blips, the Saver keeps
// the draft and retries with backoff, and the screen says so.

import { api, describe } from './api.v1.js';
import { $, showView, setText, fieldError, clearErrors, debounce, when } from './dom.v1.js';
import { loadDraft, saveDraft, removeDraft, sameAsNote } from './drafts.v1.js';
import { pushDraft, stopResume } from './notesync.v1.js';
import { Saver } from './saver.v1.js';

const AUTOSAVE_MS = 1000;
let current = null;   // the open editor session, or null

// "work, Ideas ,work" -> ["ideas", "work"], or {error}
export function parseTags(text) {
  const tags = [];
  for (const raw of text.split(',')) {
    const t = raw.trim().toLowerCase();
    if (!t) continue;
    if ([...t].length > 32) return { error: `The tag “${t.slice(0, 40)}” is longer than 32 characters.` };
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(t)) return { error: 'Tags cannot contain control characters.' };
    if (!tags.includes(t)) tags.push(t);
  }
  if (tags.length > 20) return { error: 'A note can have at most 20 tags.' };
  return { tags: tags.sort() };
}

function readForm(ctx) {
  const p = { title: $('note-title').value, content: $('note-content').value };
  if (ctx.v11) {
    p.pinned = $('note-pinned').checked;
    const parsed = parseTags($('note-tags').value);
    if (parsed.error) return { payload: p, tagError: parsed.error };
    p.tags = parsed.tags;
  }
  return { payload: p };
}

function fillForm(ctx, data) {
  $('note-title').value = data.title || '';
  $('note-content').value = data.content || '';
  $('note-pinned').checked = !!data.pinned;
  $('note-tags').value = Array.isArray(data.tags) ? data.tags.join(', ') : '';
  $('editor-v11').hidden = !ctx.v11;
}

const isEmpty = (p) => !p.title && !p.content && !(p.tags && p.tags.length) && !p.pinned;

// Which input a 400 from the server is about, from its message.
function fieldFor(message) {
  const m = (message || '').toLowerCase();
  if (m.includes('tag')) return 'note-tags';
  if (m.includes('title')) return 'note-title';
  if (m.includes('content') || m.includes('text')) return 'note-content';
  return null;
}

class EditorSession {
  constructor(ctx, noteId) {
    this.ctx = ctx;
    this.noteId = noteId;
    this.baseUpdatedAt = null;
    this.closed = false;
    this.state = 'clean';
    this.autosave = debounce(() => this.saveNow(false), AUTOSAVE_MS);
    this.saver = new Saver((payload) => this.push(payload), (s, info) => this.onSaveState(s, info));
  }

  get userId() { return this.ctx.user.id; }

  async push(payload) {
    const note = await pushDraft(this.userId, this.noteId, payload);
    if (this.closed) return note;
    if (note.id !== this.noteId) {          // just created (or re-created)
      this.noteId = note.id;
      history.replaceState(null, '', '#/note/' + note.id);
      setText('editor-title', 'Edit note');
      $('delete-btn').hidden = false;
      if (note.recreated) {
        setText('editor-notice', 'This note had been deleted elsewhere, so your text was saved as a new note.');
      }
    }
    this.baseUpdatedAt = note.updated_at;
    return note;
  }

  onSaveState(state, info) {
    if (this.closed) return;
    this.state = state;
    $('retry-btn').hidden = state !== 'retrying';
    const status = $('save-status');
    status.className = 'save-status ' + state;
    switch (state) {
      case 'saving':
        setText(status, 'Saving…');
        break;
      case 'saved':
        setText('editor-error', '');
        // Typed on since this was sent? Then the autosave timer is running.
        setText(status, this.autosave.pending() ? 'Not saved yet.' : 'Saved ' + when(info.note.updated_at) + '.');
        break;
      case 'retrying': {
        const s = Math.max(1, Math.round(info.delayMs / 1000));
        setText(status, `Not saved yet, retrying in ${s} s. ${describe(info.error)} Your text is kept on this device.`);
        break;
      }
      case 'expired':
        // The draft is in localStorage; after logging in the editor restores it.
        this.ctx.sessionExpired();
        break;
      case 'failed': {
        const msg = describe(info.error);
        const field = info.error.code === 'invalid_input' ? fieldFor(info.error.serverMessage) : null;
        if (field) fieldError(field, msg);
        else setText('editor-error', msg);
        setText(status, 'Not saved: ' + msg + ' Your text is kept on this device.');
        break;
      }
    }
  }

  // On every change: keep the draft, then save soon.
  onInput() {
    clearErrors($('editor-form'));
    const { payload, tagError } = readForm(this.ctx);
    if (!this.noteId && isEmpty(payload)) {
      removeDraft(this.userId, null);
      this.autosave.cancel();
      setText('save-status', '');
      return;
    }
    saveDraft(this.userId, this.noteId, { ...payload, base_updated_at: this.baseUpdatedAt });
    if (tagError) { fieldError('note-tags', tagError); this.autosave.cancel(); return; }
    if (this.state !== 'retrying') setText('save-status', 'Not saved yet.');
    this.autosave();
  }

  // Save button, Ctrl+S, or the autosave timer.
  saveNow(explicit) {
    this.autosave.cancel();
    const { payload, tagError } = readForm(this.ctx);
    if (tagError) { fieldError('note-tags', tagError); if (explicit) $('note-tags').focus(); return; }
    if (!this.noteId && isEmpty(payload)) {
      if (explicit) setText('save-status', 'Nothing to save yet: type a title or some text.');
      return;
    }
    saveDraft(this.userId, this.noteId, { ...payload, base_updated_at: this.baseUpdatedAt });
    this.saver.request(payload);
    if (explicit) this.saver.retryNow();
  }

  close() {
    if (this.closed) return;
    // Anything typed in the last second is in the draft; resumeDrafts() saves it.
    this.autosave.cancel();
    this.saver.stop();
    this.closed = true;
  }
}

export async function openEditor(ctx, noteId) {
  closeEditor();
  stopResume();   // this screen saves its own note; avoid two creators of one new note
  const session = new EditorSession(ctx, noteId);
  current = session;
  const form = $('editor-form');
  clearErrors(form);
  setText('editor-notice', '');
  setText('save-status', '');
  $('save-status').className = 'save-status';
  $('retry-btn').hidden = true;
  $('delete-btn').hidden = !noteId;
  setText('editor-title', noteId ? 'Edit note' : 'New note');
  fillForm(ctx, {});
  form.hidden = !!noteId;   // until the note is loaded

  let restored = null;
  if (noteId) {
    showView('view-editor');
    setText('save-status', 'Loading…');
    const draft = loadDraft(ctx.user.id, noteId);
    let note = null;
    try {
      note = await api.getNote(noteId);
    } catch (e) {
      if (session !== current) return;
      if (e.sessionExpired) { ctx.sessionExpired(); return; }
      setText('save-status', '');
      if (!draft) {
        setText('editor-error', describe(e));
        form.hidden = false;
        $('note-title').disabled = $('note-content').disabled = true;
        $('save-btn').disabled = true;
        $('delete-btn').hidden = true;
        session.loadFailed = true;
        $('retry-btn').hidden = e.code === 'not_found';   // "Retry now" loads again
        $('editor-back').focus();
        return;
      }
      // Offline, but this device has the newest text: show it and keep retrying.
      restored = draft;
      setText('editor-notice', describe(e) + ' Showing the unsaved text kept on this device.');
    }
    if (session !== current) return;
    $('note-title').disabled = $('note-content').disabled = false;
    $('save-btn').disabled = false;
    form.hidden = false;
    if (note) {
      session.baseUpdatedAt = note.updated_at;
      if (draft && !sameAsNote(draft, note)) {
        restored = draft;
        setText('editor-notice', 'Restored changes made on this device that were not saved yet.');
      } else if (draft) {
        removeDraft(ctx.user.id, noteId);
      }
      fillForm(ctx, restored || note);
      setText('save-status', restored ? '' : 'Saved ' + when(note.updated_at) + '.');
    } else {
      fillForm(ctx, restored);
    }
    $('editor-title').focus();
  } else {
    $('note-title').disabled = $('note-content').disabled = false;
    $('save-btn').disabled = false;
    const draft = loadDraft(ctx.user.id, null);
    if (draft && !isEmpty(draft)) {
      restored = draft;
      fillForm(ctx, draft);
      setText('editor-notice', 'Restored a new note you started on this device.');
    }
    showView('view-editor', $('note-title'));
  }
  if (restored) session.saveNow(false);
}

export function closeEditor() {
  if (current) current.close();
  current = null;
}

export function initEditor(ctx) {
  const form = $('editor-form');
  form.addEventListener('input', () => current && current.onInput());
  form.addEventListener('change', (e) => {
    if (current && e.target.type === 'checkbox') current.onInput();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (current) current.saveNow(true);
  });
  $('retry-btn').addEventListener('click', () => {
    if (!current) return;
    if (current.loadFailed) openEditor(ctx, current.noteId);
    else current.saver.retryNow();
  });
  // Ctrl+S / Cmd+S saves at once instead of saving the web page.
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 's' && current && !$('view-editor').hidden) {
      e.preventDefault();
      current.saveNow(true);
    }
  });

  const dialog = $('confirm-delete');
  $('delete-btn').addEventListener('click', () => {
    if (!current || !current.noteId) return;
    const title = $('note-title').value.trim();
    setText('confirm-delete-text', (title ? `“${title}”` : 'This untitled note') +
      ' will be deleted for good. This cannot be undone.');
    dialog.returnValue = '';
    dialog.showModal();
    $('confirm-cancel').focus();
  });
  dialog.addEventListener('close', async () => {
    if (dialog.returnValue !== 'delete' || !current) { $('delete-btn').focus(); return; }
    const session = current;
    const id = session.noteId;
    session.close();
    removeDraft(ctx.user.id, id);
    $('delete-btn').disabled = true;
    setText('save-status', 'Deleting…');
    try {
      await api.deleteNote(id);
    } catch (e) {
      if (e.code !== 'not_found') {
        $('delete-btn').disabled = false;
        if (e.sessionExpired) { ctx.sessionExpired(); return; }
        setText('save-status', '');
        setText('editor-error', 'Not deleted: ' + describe(e));
        // Reopen a live editor on the same note so nothing typed is lost.
        const { payload } = readForm(ctx);
        saveDraft(ctx.user.id, id, payload);
        await openEditor(ctx, id);
        setText('editor-error', 'Not deleted: ' + describe(e));
        return;
      }
    }
    $('delete-btn').disabled = false;
    current = null;
    ctx.flash('Note deleted.');
    location.hash = '#/';
  });
}
