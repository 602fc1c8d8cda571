// Notes in a real browser: create, list newest first, search as you type,
// edit, delete (to the trash) with confirmation, page through many notes,
// pinned notes and tags when the server speaks 1.1, and the same app on a
// finote 1.1.3 database (no versions, no 1.2 screens).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, assertNoProblems, uniqueName, shot, waitText, waitFor, register, createNote,
  noteLink, openNote, listedTitles, apiCreateNotes, apiSpeaks11, apiCall, startOlderServer,
} from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('create, search, edit and delete notes', async () => {
  const page = await newPage(browser);
  await register(page, uniqueName('notes'));

  await createNote(page, 'Groceries', 'milk, eggs, bread');
  await createNote(page, 'Trip to Lisbon', 'Book the train. Pack the camera.');
  await createNote(page, 'Meeting notes', 'Discuss the Q3 budget with Ana.');
  assert.deepEqual(await listedTitles(page), ['Meeting notes', 'Trip to Lisbon', 'Groceries'], 'newest first');
  await waitText(page.locator('#list-status'), '3 notes');
  await shot(page, 'list');

  // Search as you type: no Enter needed; title and text both match, any case.
  await page.getByLabel('Search notes').pressSequentially('CAMERA', { delay: 30 });
  await waitFor(async () => (await listedTitles(page)).join() === 'Trip to Lisbon', 'search result');
  await waitText(page.locator('#list-status'), '1 note matching “CAMERA”');
  await shot(page, 'list-search');
  await page.getByLabel('Search notes').fill('no such words');
  await waitText(page.locator('#list-status'), 'No notes matching “no such words”');
  assert.deepEqual(await listedTitles(page), []);
  await page.getByLabel('Search notes').fill('');
  await waitFor(async () => (await listedTitles(page)).length === 3, 'all notes again');

  // Edit: autosave without pressing Save, then it moves to the top.
  await openNote(page, 'Groceries');
  assert.equal(await page.getByLabel('Title').inputValue(), 'Groceries');
  await page.getByLabel('Text', { exact: true }).fill('milk, eggs, bread, coffee');
  await page.getByLabel('Title').fill('Groceries for Sunday');
  await waitText(page.locator('#save-status'), /^Saved/);
  await shot(page, 'editor');
  await page.getByRole('link', { name: /All notes/ }).click();
  await noteLink(page, 'Groceries for Sunday').waitFor();
  assert.equal((await listedTitles(page))[0], 'Groceries for Sunday', 'the edited note is newest');
  assert.match(await noteLink(page, 'Groceries for Sunday').textContent(), /coffee/);
  await page.reload();
  await noteLink(page, 'Groceries for Sunday').waitFor();

  // Delete: cancel first (nothing happens), then confirm.
  await openNote(page, 'Trip to Lisbon');
  await page.getByRole('button', { name: 'Delete…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete this note?' });
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /“Trip to Lisbon” will be moved to the trash/);
  await shot(page, 'confirm-delete');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await page.getByLabel('Title').inputValue(), 'Trip to Lisbon');
  await page.getByRole('button', { name: 'Delete…' }).click();
  await dialog.getByRole('button', { name: 'Move to trash' }).click();
  await page.getByRole('heading', { name: 'Your notes' }).waitFor();
  await waitFor(async () => (await listedTitles(page)).length === 2, 'two notes left');
  assert.deepEqual(await listedTitles(page), ['Groceries for Sunday', 'Meeting notes']);
  await waitText(page.locator('#announcer'), 'Note moved to the trash.');
  assertNoProblems(page);
  await page.context().close();
});

test('a note that does not exist says so in words', async () => {
  const page = await newPage(browser);
  await register(page, uniqueName('missing'));
  await page.evaluate(() => { location.hash = '#/note/00000000-0000-4000-8000-000000000000'; });
  await waitText(page.locator('#editor-error'), 'This note does not exist any more');
  await shot(page, 'error-note-not-found');
  assertNoProblems(page);
  await page.context().close();
});

test('"Load more" pages through many notes', async () => {
  const page = await newPage(browser);
  await register(page, uniqueName('pages'));
  const n = 45;
  await apiCreateNotes(page, Array.from({ length: n }, (_, i) => ({ title: `Note ${String(i + 1).padStart(2, '0')}`, content: 'paging' })));
  await page.reload();
  await page.getByRole('heading', { name: 'Your notes' }).waitFor();
  await waitFor(async () => (await listedTitles(page)).length === 20, 'first page of 20');
  assert.equal((await listedTitles(page))[0], 'Note 45');
  await waitText(page.locator('#list-status'), 'Showing 20 notes');
  const more = page.getByRole('button', { name: 'Load more' });
  await more.click();
  await waitFor(async () => (await listedTitles(page)).length === 40, 'second page');
  // Keyboard users land on the first new note.
  assert.equal(await page.evaluate(() => document.activeElement.textContent.slice(0, 7)), 'Note 25');
  await more.click();
  await waitFor(async () => (await listedTitles(page)).length === n, 'all notes');
  assert.ok(await more.isHidden(), 'no more pages');
  const titles = await listedTitles(page);
  assert.deepEqual(titles, Array.from({ length: n }, (_, i) => `Note ${String(n - i).padStart(2, '0')}`), 'no gaps, no repeats');
  await waitText(page.locator('#list-status'), `${n} notes`);

  // Search pages too.
  await page.getByLabel('Search notes').fill('paging');
  await waitFor(async () => (await listedTitles(page)).length === 20, 'first page of results');
  assertNoProblems(page);
  await page.context().close();
});

test('pinned notes and tags through a 1.1 HTTP API', async () => {
  const page = await newPage(browser);
  await register(page, uniqueName('tags'));
  assert.ok(await apiSpeaks11(page), 'the HTTP API speaks 1.1 (GET /api/tags answers)');
  await createNote(page, 'Old plain note', 'nothing special');
  await page.getByRole('link', { name: 'New note' }).click();
  await page.getByLabel('Title').fill('Work plan');
  await page.getByLabel('Text', { exact: true }).fill('Ship 1.1');
  await page.getByLabel('Pin to the top of the list').check();
  await page.getByLabel('Tags').fill('Work, ideas ,work');
  await page.getByRole('button', { name: 'Save' }).click();
  await waitText(page.locator('#save-status'), /^Saved/);
  await page.getByRole('link', { name: /All notes/ }).click();
  await noteLink(page, 'Work plan').waitFor();
  await createNote(page, 'Newest unpinned', 'x');
  assert.equal((await listedTitles(page))[0], 'Work plan', 'pinned first, even though older');
  const item = await noteLink(page, 'Work plan').textContent();
  assert.match(item, /Pinned/);
  assert.match(item, /#ideas/);
  assert.match(item, /#work/);
  await shot(page, 'list-pinned-tags');

  await page.reload();
  await page.getByRole('heading', { name: 'Your notes' }).waitFor();
  await page.locator('#tag-filter option[value="work"]').waitFor({ state: 'attached' });
  await page.getByLabel('Filter by tag').selectOption('work');
  await waitFor(async () => (await listedTitles(page)).join() === 'Work plan', 'tag filter');

  // Unpin from the editor.
  await openNote(page, 'Work plan');
  assert.equal(await page.getByLabel('Tags').inputValue(), 'ideas, work');
  await page.getByLabel('Pin to the top of the list').uncheck();
  await waitText(page.locator('#save-status'), /^Saved/);
  await page.getByRole('link', { name: /All notes/ }).click();
  await page.getByLabel('Filter by tag').selectOption('');
  // Unpinning is not an edit: the note falls back to its place by updated_at.
  const unpinned = ['Newest unpinned', 'Work plan', 'Old plain note'].join();
  await waitFor(async () => (await listedTitles(page)).join() === unpinned, 'list');
  assertNoProblems(page);
  await page.context().close();
});

test('the app on a finote 1.1.3 database: no If-Match, no 1.2 screens, pins and tags as before', async () => {
  const server = await startOlderServer('1.1.3');
  try {
    assert.match(server.ready, /1\.1\.3/, '/readyz names the database\'s version');
    const page = await newPage(browser);
    const sent = [];   // [method, If-Match] of every note change
    page.on('request', (r) => {
      if (/\/api\/notes\//.test(r.url()) && ['PATCH', 'DELETE'].includes(r.method())) sent.push([r.method(), r.headers()['if-match']]);
    });
    await register(page, uniqueName('old'), undefined, server.base);
    assert.equal((await apiCall(page, 'GET', '/api/trash')).status, 404, 'no trash on 1.1.3');
    await page.getByRole('link', { name: 'New note' }).click();
    await page.getByLabel('Title').fill('Old server note');
    await page.getByLabel('Text', { exact: true }).fill('first words');
    await page.getByLabel('Pin to the top of the list').check();
    await page.getByLabel('Tags').fill('legacy');
    await page.getByRole('button', { name: 'Save' }).click();
    await waitText(page.locator('#save-status'), /^Saved/);
    const id = await page.evaluate(() => location.hash.split('/')[2]);
    const note = (await apiCall(page, 'GET', '/api/notes/' + id)).json.note;
    assert.equal(note.version, undefined, 'a 1.1.3 note has no version');
    assert.deepEqual([note.pinned, note.tags], [true, ['legacy']]);

    await page.getByLabel('Text', { exact: true }).fill('second words');
    await waitText(page.locator('#save-status'), /^Saved/);
    assert.equal((await apiCall(page, 'GET', '/api/notes/' + id)).json.note.content, 'second words');
    assert.ok(await page.locator('#history-link').isHidden(), 'no History on 1.1.3');
    assert.ok(await page.locator('#account-link').isHidden(), 'no Account (export, delete) on 1.1.3');

    await page.getByRole('link', { name: /All notes/ }).click();
    await noteLink(page, 'Old server note').waitFor();
    assert.ok(await page.locator('#trash-link').isHidden(), 'no Trash on 1.1.3');
    await page.evaluate(() => { location.hash = '#/trash'; });   // a 1.2 address leads back to the list
    await page.waitForFunction(() => location.hash === '#/');

    await openNote(page, 'Old server note');
    await page.getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this note?' });
    assert.match(await dialog.textContent(), /will be deleted for good/);
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'Your notes' }).waitFor();
    await waitText(page.locator('#announcer'), 'Note deleted.');
    assert.equal((await apiCall(page, 'GET', '/api/notes/' + id)).status, 404);
    assert.ok(sent.length >= 2, 'changes were sent: ' + JSON.stringify(sent));
    assert.deepEqual(sent.filter(([, m]) => m !== undefined), [], 'no If-Match to a server without versions');
    assertNoProblems(page);
    await page.context().close();
  } finally {
    await server.stop();
  }
});
