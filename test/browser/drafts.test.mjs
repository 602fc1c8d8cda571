// Never lose typed text: the database stops under the shim while a note is
// being edited (and the page is even reloaded meanwhile), the network drops
// requests; the draft stays on the device, the screen says "not saved yet,
// retrying", and the text reaches the server once it is back.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, assertNoProblems, uniqueName, shot, waitText, waitFor, register, createNote,
  noteLink, openNote, listedTitles, stopDatabase, startDatabase,
} from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => {
  await startDatabase();   // whatever happened, leave the cluster running for the next file
  await browser?.close();
});

const content = (page) => page.getByLabel('Text', { exact: true });

test('a draft typed while the database is down is kept, survives a reload, and is saved when it is back', async () => {
  const page = await newPage(browser);
  await register(page, uniqueName('blip'));
  await createNote(page, 'Blip', 'before the outage');
  await openNote(page, 'Blip');

  await stopDatabase();
  try {
    await content(page).fill('typed while the database was down');
    await waitText(page.locator('#save-status'), 'Not saved yet, retrying', 15_000);
    assert.match(await page.locator('#save-status').textContent(), /Your text is kept on this device/);
    assert.ok(await page.getByRole('button', { name: 'Retry now' }).isVisible());
    await shot(page, 'editor-retrying');

    // Even a reload while the database is still down loses nothing.
    await page.reload();
    await waitText(page.locator('#boot-status'), 'Finote is briefly unavailable', 15_000);
    await shot(page, 'error-unavailable');
  } finally {
    await startDatabase();
  }
  // The app retries by itself, reopens the note and saves the restored draft.
  await page.getByRole('heading', { name: 'Edit note' }).waitFor({ timeout: 40_000 });
  await waitText(page.locator('#editor-notice'), 'Restored changes');
  assert.equal(await content(page).inputValue(), 'typed while the database was down');
  await waitText(page.locator('#save-status'), /^Saved/, 40_000);
  await page.reload();
  await page.getByRole('heading', { name: 'Edit note' }).waitFor({ timeout: 20_000 });
  await waitFor(async () => (await content(page).inputValue()) === 'typed while the database was down', 'saved text after reload');
  assert.ok(await page.locator('#editor-notice').isHidden(), 'no draft left to restore');
  assertNoProblems(page);
  await page.context().close();
});

test('typing on while saves fail keeps every keystroke, and the newest text wins', async () => {
  const page = await newPage(browser);
  await register(page, uniqueName('retry'));
  await createNote(page, 'Retry', 'v0');
  await openNote(page, 'Retry');

  await stopDatabase();
  try {
    await content(page).fill('v1');
    await waitText(page.locator('#save-status'), 'Not saved yet, retrying', 15_000);
    await content(page).fill('v1 v2');
    await content(page).press('End');
    await content(page).pressSequentially(' v3', { delay: 20 });
  } finally {
    await startDatabase();
  }
  await page.getByRole('button', { name: 'Retry now' }).click().catch(() => {});   // may already be saving
  await waitText(page.locator('#save-status'), /^Saved/, 40_000);
  await page.getByRole('link', { name: /All notes/ }).click();
  await noteLink(page, 'Retry').waitFor();
  await waitFor(async () => /v1 v2 v3/.test(await noteLink(page, 'Retry').textContent()), 'newest text in the list');
  assertNoProblems(page);
  await page.context().close();
});

test('a new note written while the network drops requests is created once it is back', async () => {
  const page = await newPage(browser);
  await register(page, uniqueName('offline'));
  // Every notes request fails at the network level, as on a train in a tunnel.
  const drop = (route) => route.abort('internetdisconnected');
  await page.route('**/api/notes**', drop);

  await page.getByRole('link', { name: 'New note' }).click();
  await page.getByLabel('Title').fill('Written offline');
  await content(page).fill('every word kept');
  await waitText(page.locator('#save-status'), 'Not saved yet, retrying', 15_000);
  assert.match(await page.locator('#save-status').textContent(), /Can't reach Finote/);

  // Leave the editor: the list says what is still waiting.
  await page.getByRole('link', { name: /All notes/ }).click();
  await waitText(page.locator('#drafts-notice'), '1 note has changes that are not saved yet', 15_000);
  await shot(page, 'list-unsaved-drafts');

  await page.unroute('**/api/notes**', drop);
  await noteLink(page, 'Written offline').waitFor({ timeout: 40_000 });
  await waitFor(async () => await page.locator('#drafts-notice').isHidden(), 'the notice goes away', 5_000);
  assert.equal((await listedTitles(page)).filter((t) => t === 'Written offline').length, 1, 'created exactly once');
  await openNote(page, 'Written offline');
  assert.equal(await content(page).inputValue(), 'every word kept');
  assert.ok(await page.locator('#editor-notice').isHidden(), 'nothing left to restore');
  assertNoProblems(page);
  await page.context().close();
});

test('leaving the editor right after typing (before the autosave) still saves the text', async () => {
  const page = await newPage(browser);
  await register(page, uniqueName('quick'));
  await page.getByRole('link', { name: 'New note' }).click();
  await page.getByLabel('Title').fill('Quick exit');
  await content(page).fill('typed and gone');
  await page.getByRole('link', { name: /All notes/ }).click();   // well within the autosave second
  await noteLink(page, 'Quick exit').waitFor({ timeout: 15_000 });
  await openNote(page, 'Quick exit');
  assert.equal(await content(page).inputValue(), 'typed and gone');
  await content(page).fill('edited and gone');
  await page.getByRole('link', { name: /All notes/ }).click();
  await waitFor(async () => /edited and gone/.test(await noteLink(page, 'Quick exit').textContent()), 'the edit in the list', 15_000);
  assert.equal((await listedTitles(page)).length, 1, 'one note, not two');
  assertNoProblems(page);
  await page.context().close();
});
