// Logging out on a shared computer leaves none of the user's text behind:
// drafts not yet saved are deleted from localStorage at logout, after a
// confirm that says so; Cancel keeps the user logged in with them; with
// everything saved nothing is asked; another user's drafts are not touched.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, assertNoProblems, uniqueName, waitText, waitFor, register, login, createNote,
} from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// The draft keys in this page's localStorage.
const draftKeys = (page) => page.evaluate(() =>
  Object.keys(localStorage).filter((k) => k.startsWith('finote.draft.')).sort());

test('logout with unsaved changes asks, and then deletes them from the device', async () => {
  const page = await newPage(browser);
  const name = uniqueName('shared');
  await register(page, name);
  // Another user's draft on the same device stays.
  await page.evaluate(() => localStorage.setItem('finote.draft.v1.someone-else.new',
    JSON.stringify({ title: 'not mine', content: '' })));

  // A new note whose tags the app refuses to send: its text is only a draft.
  await page.getByRole('link', { name: 'New note' }).click();
  await page.getByRole('heading', { name: 'New note' }).waitFor();
  await page.getByLabel('Tags').waitFor();
  await page.getByLabel('Tags').fill('x'.repeat(40));
  await page.getByLabel('Title').fill('Private diary');
  await page.getByLabel('Text', { exact: true }).fill('nobody else should read this');
  await waitText(page.locator('#note-tags-error'), /./);
  const mine = (await draftKeys(page)).filter((k) => !k.includes('someone-else'));
  assert.equal(mine.length, 1, 'the unsaved note is a draft in localStorage');

  // Cancel: still logged in, the draft is still there.
  const messages = [];
  page.once('dialog', (d) => { messages.push(d.message()); d.dismiss(); });
  await page.getByRole('button', { name: 'Log out' }).click();
  await waitFor(() => messages.length === 1, 'the confirm');
  assert.match(messages[0], /^1 note has changes that are not saved yet\. Logging out deletes them from this device\./);
  assert.ok(await page.getByRole('heading', { name: 'New note' }).isVisible(), 'Cancel: still in the editor');
  assert.deepEqual((await draftKeys(page)).filter((k) => !k.includes('someone-else')), mine,
    'Cancel: the draft stays');

  // OK: logged out, and the draft is gone.
  page.once('dialog', (d) => { messages.push(d.message()); d.accept(); });
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  assert.equal(messages.length, 2, 'asked again');
  assert.deepEqual(await draftKeys(page), ['finote.draft.v1.someone-else.new'],
    "the user's drafts are deleted, another user's stay");
  const all = await page.evaluate(() => Object.values(localStorage).join('\n'));
  assert.ok(!all.includes('nobody else should read this'), 'the text is nowhere in localStorage');

  // Back in: nothing to restore, and the refused note was never created.
  await login(page, name);
  await page.getByRole('heading', { name: 'Your notes' }).waitFor();
  await waitText(page.locator('#view-list'), 'No notes yet');
  assert.ok(!(await page.locator('#view-list').textContent()).includes('not saved yet'));
  assertNoProblems(page);
  await page.context().close();
});

test('logout with everything saved asks nothing and leaves no draft', async () => {
  const page = await newPage(browser);
  await register(page, uniqueName('saved'));
  await createNote(page, 'Saved note', 'on the server');
  let asked = false;
  page.on('dialog', (d) => { asked = true; d.dismiss(); });
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  assert.equal(asked, false, 'no confirm');
  assert.deepEqual(await draftKeys(page), [], 'no draft left');
  assertNoProblems(page);
  await page.context().close();
});
