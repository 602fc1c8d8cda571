// Edit conflicts (finote 1.2) in two tabs of one user, each its own browser
// context: both open a note, tab A saves, tab B edits and saves on the old
// version. B gets 412 and shows both texts; each of the three choices is
// checked against the server and the screen, and no text is lost: after
// "Keep my text" the other tab's text is in the note's history.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, assertNoProblems, uniqueName, shot, waitText, waitFor, register, login, BASE,
  editorReady, apiCall, apiCreateNotes, serverNote, localDrafts, noteLink, listedTitles,
} from './lib.mjs';

let browser, tabA, tabB;
before(async () => {
  browser = await launch();
  const name = uniqueName('conflict');
  tabA = await newPage(browser);
  await register(tabA, name);
  tabB = await newPage(browser);
  await tabB.goto(BASE + '/#/login');
  await login(tabB, name);
  await tabB.getByRole('heading', { name: 'Your notes' }).waitFor();
});
after(async () => {
  for (const tab of [tabA, tabB]) if (tab) assertNoProblems(tab);
  await browser?.close();
});

const content = (page) => page.getByLabel('Text', { exact: true });

async function openById(page, id) {
  await page.evaluate((to) => { location.hash = to; }, '#/note/' + id);
  await editorReady(page);
}

// A note both tabs have open; A saves "A's text", then B types `bText` on
// the version it loaded, and meets the conflict.
async function conflictOn(title, bText) {
  const [note] = await apiCreateNotes(tabA, [{ title, content: 'the original text' }]);
  assert.equal(note.version, 1, 'a new note is version 1');
  await openById(tabA, note.id);
  await openById(tabB, note.id);
  await content(tabA).fill("A's text, saved first");
  await tabA.getByRole('button', { name: 'Save' }).click();   // at once, not after the autosave's second
  await waitText(tabA.locator('#save-status'), /^Saved/);
  assert.equal((await serverNote(tabA, note.id)).version, 2);

  const patches = [];
  const onRequest = (r) => { if (r.method() === 'PATCH') patches.push(r.headers()['if-match']); };
  tabB.on('request', onRequest);
  await content(tabB).fill(bText);
  await tabB.getByRole('button', { name: 'Save' }).click();
  const panel = tabB.getByRole('region', { name: 'This note was changed somewhere else' });
  await panel.waitFor();
  tabB.off('request', onRequest);
  assert.deepEqual(patches, ['"1"'], 'B saved on the version it had loaded');
  assert.equal(await tabB.getByRole('region', { name: 'Your text' }).textContent(), bText);
  assert.equal(await tabB.getByRole('region', { name: 'The saved text' }).textContent(), "A's text, saved first");
  assert.ok(await tabB.locator('#editor-form').isHidden(), 'no typing on until a choice is made');
  // Until the choice is saved, B's text is in the draft.
  assert.ok((await localDrafts(tabB)).some((d) => d.content === bText), 'the draft holds B\'s text');
  assert.equal((await serverNote(tabA, note.id)).content, "A's text, saved first", 'B did not overwrite A');
  return note;
}

test('keep my text: saved over the newer version, the draft goes once it is saved', async () => {
  const note = await conflictOn('Keep mine', "B's text, kept");
  await shot(tabB, 'conflict');
  await tabB.getByRole('button', { name: 'Keep my text' }).click();
  await waitText(tabB.locator('#save-status'), /^Saved/);
  const now = await serverNote(tabA, note.id);
  assert.equal(now.content, "B's text, kept");
  assert.equal(now.version, 3);
  // A's text is not lost: B's save, within a minute of A's (the autosave
  // collapse window), is another session's, so it kept A's text as the
  // revision of version 2 (finote 1.2.1; 1.2 collapsed it away).
  const history = await apiCall(tabB, 'GET', `/api/notes/${note.id}/revisions`);
  assert.equal(history.status, 200, 'GET the history');
  assert.deepEqual(history.json.revisions.map((r) => r.version), [2, 1], 'a revision of each replaced version');
  const aRevision = await apiCall(tabB, 'GET', `/api/notes/${note.id}/revisions/${history.json.revisions[0].id}`);
  assert.equal(aRevision.status, 200, 'GET the revision');
  assert.equal(aRevision.json.content, "A's text, saved first", "A's text is in the history");
  assert.equal(await content(tabB).inputValue(), "B's text, kept");
  assert.deepEqual(await localDrafts(tabB), [], 'no draft left');
  // A's tab, saving again on its old version, now meets the conflict itself.
  await content(tabA).fill("A's text, saved first, and more");
  await tabA.getByRole('region', { name: 'The saved text' }).waitFor();
  assert.equal(await tabA.getByRole('region', { name: 'The saved text' }).textContent(), "B's text, kept");
  await tabA.getByRole('button', { name: 'Keep the saved text' }).click();
  assert.equal(await content(tabA).inputValue(), "B's text, kept");
});

test('keep the saved text: the editor shows it and the draft is dropped', async () => {
  const note = await conflictOn('Keep theirs', "B's text, dropped by choice");
  await tabB.getByRole('button', { name: 'Keep the saved text' }).click();
  await waitFor(async () => (await content(tabB).inputValue()) === "A's text, saved first", 'the saved text in B');
  await waitText(tabB.locator('#editor-notice'), 'You kept the saved text');
  assert.deepEqual(await localDrafts(tabB), [], 'no draft left');
  const now = await serverNote(tabA, note.id);
  assert.deepEqual([now.content, now.version], ["A's text, saved first", 2], 'nothing was saved');
  // B edits on from the saved version without another conflict.
  await content(tabB).fill("A's text, saved first, then B's line");
  await waitText(tabB.locator('#save-status'), /^Saved/);
  assert.equal((await serverNote(tabA, note.id)).content, "A's text, saved first, then B's line");
});

test('keep both, after a reload in the middle: B\'s text becomes a new note, the original keeps A\'s', async () => {
  const note = await conflictOn('Keep both', "B's text, as a note of its own");
  // A reload while the choice is open: the draft brings the same choice back.
  await tabB.reload();
  await tabB.getByRole('region', { name: 'This note was changed somewhere else' }).waitFor();
  assert.equal(await tabB.getByRole('region', { name: 'Your text' }).textContent(), "B's text, as a note of its own");
  await tabB.getByRole('button', { name: 'Keep both' }).click();
  await waitText(tabB.locator('#editor-notice'), 'Your text is now a new note');
  const newId = await tabB.evaluate(() => location.hash.split('/')[2]);
  assert.notEqual(newId, note.id, 'B is on the new note');
  assert.equal(await content(tabB).inputValue(), "B's text, as a note of its own");
  assert.equal((await serverNote(tabA, newId)).content, "B's text, as a note of its own");
  assert.equal((await serverNote(tabA, note.id)).content, "A's text, saved first");
  assert.deepEqual(await localDrafts(tabB), [], 'no draft left');
  await tabB.getByRole('link', { name: 'the original note' }).click();
  // The editor is already up (on the new note): wait for the router to open
  // the original, not just for an editor.
  await waitFor(async () => (await tabB.evaluate(() => location.hash)) === '#/note/' + note.id, 'the original note');
  await editorReady(tabB);
  await waitFor(async () => (await content(tabB).inputValue()) === "A's text, saved first",
    "the original note's text (A's) in the editor");
  await tabB.getByRole('link', { name: /All notes/ }).click();
  await noteLink(tabB, 'Keep both').first().waitFor();
  assert.equal((await listedTitles(tabB)).filter((t) => t === 'Keep both').length, 2, 'both notes in the list');
});

test('deleting a note that changed elsewhere is refused and shows both texts', async () => {
  const [note] = await apiCreateNotes(tabA, [{ title: 'Delete stale', content: 'old text' }]);
  await openById(tabB, note.id);
  const r = await apiCall(tabA, 'PATCH', '/api/notes/' + note.id, { body: { content: 'newer text' } });
  assert.equal(r.status, 200);
  await tabB.getByRole('button', { name: 'Delete…' }).click();
  await tabB.getByRole('dialog').getByRole('button', { name: 'Move to trash' }).click();
  await waitText(tabB.locator('#editor-error'), 'Not deleted: This note was changed somewhere else');
  await tabB.getByRole('region', { name: 'The saved text' }).waitFor();
  assert.equal(await tabB.getByRole('region', { name: 'The saved text' }).textContent(), 'newer text');
  assert.equal((await serverNote(tabA, note.id)).content, 'newer text', 'still there');
  await tabB.getByRole('button', { name: 'Keep the saved text' }).click();
  await tabB.getByRole('link', { name: /All notes/ }).click();
});

test('a draft left behind on an old version is not saved over newer text from the list either', async () => {
  const [note] = await apiCreateNotes(tabA, [{ title: 'Left behind', content: 'the original text' }]);
  await openById(tabB, note.id);
  const r = await apiCall(tabA, 'PATCH', '/api/notes/' + note.id, { body: { content: "A's newer text" } });
  assert.equal(r.status, 200);
  // B types and leaves at once: the list saves the draft, on version 1.
  await content(tabB).fill("B's text, left behind");
  await tabB.getByRole('link', { name: /All notes/ }).click();
  await waitText(tabB.locator('#drafts-notice'), '1 note has changes that are not saved yet');
  await waitText(tabB.locator('#drafts-notice'), 'This note was changed somewhere else');
  assert.equal((await serverNote(tabA, note.id)).content, "A's newer text", 'not overwritten');
  assert.ok((await localDrafts(tabB)).some((d) => d.content === "B's text, left behind"), 'the draft stays');
  // Opening the note brings the choice.
  await noteLink(tabB, 'Left behind').click();
  await tabB.getByRole('region', { name: 'This note was changed somewhere else' }).waitFor();
  assert.equal(await tabB.getByRole('region', { name: 'Your text' }).textContent(), "B's text, left behind");
  await tabB.getByRole('button', { name: 'Keep my text' }).click();
  await waitText(tabB.locator('#save-status'), /^Saved/);
  assert.equal((await serverNote(tabA, note.id)).content, "B's text, left behind");
  assert.deepEqual(await localDrafts(tabB), []);
  await tabB.getByRole('link', { name: /All notes/ }).click();
});

test('a draft kept by the app before 1.2 (no version, only the time it was based on) meets the conflict too', async () => {
  const [note] = await apiCreateNotes(tabA, [{ title: 'Old draft', content: 'the original text' }]);
  const r = await apiCall(tabA, 'PATCH', '/api/notes/' + note.id, { body: { content: 'changed since' } });
  assert.equal(r.status, 200);
  const me = (await apiCall(tabB, 'GET', '/api/auth/me')).json.user;
  // What the earlier app (drafts.v1.js) wrote: no base_version.
  await tabB.evaluate(([key, draft]) => localStorage.setItem(key, JSON.stringify(draft)),
    [`finote.draft.v1.${me.id}.${note.id}`, { title: 'Old draft', content: 'typed in the old app', base_updated_at: note.updated_at }]);
  await tabB.evaluate((to) => { location.hash = to; }, '#/note/' + note.id);   // restored and saved at once
  await tabB.getByRole('region', { name: 'This note was changed somewhere else' }).waitFor();
  assert.equal(await tabB.getByRole('region', { name: 'Your text' }).textContent(), 'typed in the old app');
  assert.equal(await tabB.getByRole('region', { name: 'The saved text' }).textContent(), 'changed since');
  assert.equal((await serverNote(tabA, note.id)).content, 'changed since', 'not overwritten');
  await tabB.getByRole('button', { name: 'Keep both' }).click();
  await waitText(tabB.locator('#editor-notice'), 'Your text is now a new note');
  assert.deepEqual(await localDrafts(tabB), []);
  await tabB.getByRole('link', { name: /All notes/ }).click();
});
