// History and trash (finote 1.2) in a real browser: an earlier version is
// listed, read, restored and the restore undone, and a long history paged; a deleted note goes to the
// trash, out of the list and the search, comes back, and is deleted for good
// after a confirmation.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, assertNoProblems, uniqueName, shot, waitText, waitFor, register, createNote,
  noteLink, openNote, listedTitles, serverNote, apiCall,
} from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const content = (page) => page.getByLabel('Text', { exact: true });
const noteId = (page) => page.evaluate(() => location.hash.split('/')[2]);

test('history: an earlier version is restored, and the restore undone', async () => {
  const page = await newPage(browser);
  await register(page, uniqueName('hist'));
  await createNote(page, 'Recipe', 'flour, water, salt');
  await openNote(page, 'Recipe');
  const id = await noteId(page);
  await content(page).fill('flour, water, salt, yeast');
  await page.getByRole('button', { name: 'Save' }).click();
  await waitText(page.locator('#save-status'), /^Saved/);

  await page.getByRole('link', { name: 'History' }).click();
  await page.getByRole('heading', { name: 'History' }).waitFor();
  await waitText(page.locator('#history-status'), '1 earlier version.');
  await waitText(page.locator('#history-note-name'), 'Recipe');
  await shot(page, 'history');
  await page.locator('#revisions a.note-link').first().click();
  await page.getByRole('heading', { name: 'Earlier version' }).waitFor();
  await waitText(page.locator('#revision-content'), 'flour, water, salt');
  assert.equal(await page.locator('#revision-content').textContent(), 'flour, water, salt');

  await page.getByRole('button', { name: 'Restore this version' }).click();
  await waitText(page.locator('#revision-notice'), 'Restored: the note holds this text now.');
  await shot(page, 'revision-restored');
  assert.equal((await serverNote(page, id)).content, 'flour, water, salt');
  await page.getByRole('button', { name: 'Undo the restore' }).click();
  await waitText(page.locator('#revision-notice'), 'Undone');
  assert.equal((await serverNote(page, id)).content, 'flour, water, salt, yeast');
  assert.ok(await page.getByRole('button', { name: 'Undo the restore' }).isHidden());

  // Both texts are in the history now, and the editor shows the current one.
  await page.getByRole('link', { name: '← History' }).click();
  await waitText(page.locator('#history-status'), /[23] earlier versions\./);
  await page.getByRole('link', { name: '← Back to the note' }).click();
  await page.getByRole('heading', { name: 'Edit note' }).waitFor();
  await waitFor(async () => (await content(page).inputValue()) === 'flour, water, salt, yeast', 'the current text');

  // Paging: 20 more restores (each a revision), then "Load more".
  const revs = (await apiCall(page, 'GET', `/api/notes/${id}/revisions?limit=100`)).json.revisions;
  const [older, newer] = [revs.find((r) => r.version === 1), revs.find((r) => r.version === 2)];
  for (let i = 0; i < 20; i++) {
    const r = await apiCall(page, 'POST', `/api/notes/${id}/revisions/${(i % 2 ? newer : older).id}/restore`);
    assert.equal(r.status, 200);
  }
  const total = revs.length + 20;
  await page.getByRole('link', { name: 'History' }).click();
  await waitText(page.locator('#history-status'), 'Showing 20 earlier versions.');
  await page.getByRole('button', { name: 'Load more' }).click();
  await waitText(page.locator('#history-status'), `${total} earlier versions.`);
  assert.equal(await page.locator('#revisions li').count(), total);
  const versions = await page.locator('#revisions .note-snippet').allTextContents();
  assert.deepEqual(versions, [...versions].sort((a, b) => Number(b.slice(8)) - Number(a.slice(8))), 'newest first, no repeats');
  assert.equal(new Set(versions).size, total);
  assertNoProblems(page);
  await page.context().close();
});

test('trash: a deleted note leaves the list and the search, comes back, and is deleted for good', async () => {
  const page = await newPage(browser);
  await register(page, uniqueName('trash'));
  await createNote(page, 'Keeper', 'stays');
  await createNote(page, 'Throwaway', 'unique-word-zebra');
  await openNote(page, 'Throwaway');
  const id = await noteId(page);
  await page.getByRole('button', { name: 'Delete…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Move to trash' }).click();
  await page.getByRole('heading', { name: 'Your notes' }).waitFor();
  await waitFor(async () => (await listedTitles(page)).join() === 'Keeper', 'the note leaves the list');
  await page.getByLabel('Search notes').fill('zebra');
  await waitText(page.locator('#list-status'), 'No notes matching “zebra”');
  await page.getByLabel('Search notes').fill('');

  await page.getByRole('link', { name: 'Trash' }).click();
  await page.getByRole('heading', { name: 'Trash' }).waitFor();
  await waitText(page.locator('#trash-status'), '1 deleted note.');
  await page.reload();   // a 1.2 screen opened before the app knows the server is 1.2
  await waitText(page.locator('#trash-status'), '1 deleted note.');
  assert.match(await page.locator('#trash-notes').textContent(), /Throwaway.*unique-word-zebra.*Deleted/s);
  await shot(page, 'trash');
  await page.getByRole('button', { name: 'Restore Throwaway' }).click();
  await waitText(page.locator('#trash-status'), 'The trash is empty.');
  await waitText(page.locator('#announcer'), '“Throwaway” is back in your notes.');
  assert.equal((await serverNote(page, id)).content, 'unique-word-zebra');

  // Delete again, then for good: Cancel first keeps it.
  assert.equal((await apiCall(page, 'DELETE', '/api/notes/' + id)).status, 204);
  await page.getByRole('link', { name: /All notes/ }).click();
  await page.getByRole('link', { name: 'Trash' }).click();
  await waitText(page.locator('#trash-status'), '1 deleted note.');
  const purge = page.getByRole('button', { name: 'Delete for good… Throwaway' });
  await purge.click();
  const dialog = page.getByRole('dialog', { name: 'Delete this note for good?' });
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /“Throwaway” and its history will be deleted for good/);
  await shot(page, 'confirm-purge');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal((await apiCall(page, 'GET', '/api/trash')).json.notes.length, 1, 'Cancel keeps it');
  await purge.click();
  await dialog.getByRole('button', { name: 'Delete for good' }).click();
  await waitText(page.locator('#trash-status'), 'The trash is empty.');
  assert.equal((await apiCall(page, 'GET', '/api/trash')).json.notes.length, 0);
  assert.equal((await apiCall(page, 'GET', '/api/notes/' + id)).status, 404);
  await page.getByRole('link', { name: /All notes/ }).click();
  await noteLink(page, 'Keeper').waitFor();
  assert.deepEqual(await listedTitles(page), ['Keeper']);
  assertNoProblems(page);
  await page.context().close();
});
