// Accessibility: axe-core's WCAG 2.1 A/AA rules (labels, names, roles,
// colour contrast, ...) on every main screen and dialog, finote 1.2's
// (edit conflict, history, one version, trash, account) included, in the
// light and the dark colour scheme, on a desktop and a phone-sized screen.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, assertNoProblems, uniqueName, waitText, register, logout, login, createNote, openNote, shot,
  apiCall, checkScreen,
} from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const scheme of ['light', 'dark']) {
  for (const [label, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
    test(`every screen passes axe WCAG 2.1 AA: ${scheme} scheme, ${label}`, async () => {
      const page = await newPage(browser, { viewport, mobile: label === 'phone' });
      await page.emulateMedia({ colorScheme: scheme });
      const name = uniqueName('a11y');
      await register(page, name);
      await checkScreen(page, 'empty list');
      await createNote(page, 'Accessible note', 'Readable by everyone.');
      await checkScreen(page, 'list');
      if (scheme === 'dark') await shot(page, `dark-list-${label}`);
      await openNote(page, 'Accessible note');
      await checkScreen(page, 'editor');
      if (scheme === 'dark') await shot(page, `dark-editor-${label}`);
      await page.getByRole('button', { name: 'Delete…' }).click();
      await page.getByRole('dialog').waitFor();
      await checkScreen(page, 'delete dialog');
      await page.keyboard.press('Escape');

      // An edit conflict: the note changes behind the editor's back.
      const id = await page.evaluate(() => location.hash.split('/')[2]);
      assert.equal((await apiCall(page, 'PATCH', '/api/notes/' + id, { body: { content: 'Changed elsewhere.' } })).status, 200);
      await page.getByLabel('Text', { exact: true }).fill('Typed here.');
      await page.getByRole('region', { name: 'This note was changed somewhere else' }).waitFor();
      await checkScreen(page, 'edit conflict');
      if (scheme === 'dark') await shot(page, `dark-conflict-${label}`);
      await page.getByRole('button', { name: 'Keep my text' }).click();
      await waitText(page.locator('#save-status'), /^Saved/);

      await page.getByRole('link', { name: 'History' }).click();
      await waitText(page.locator('#history-status'), 'earlier version');
      await checkScreen(page, 'history');
      await page.locator('#revisions a.note-link').first().click();
      await page.locator('#revision-body').waitFor();
      await checkScreen(page, 'earlier version');

      await page.evaluate(() => { location.hash = '#/note/' + location.hash.split('/')[2]; });
      await page.getByRole('heading', { name: 'Edit note' }).waitFor();
      await page.getByRole('button', { name: 'Delete…' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Move to trash' }).click();
      await page.getByRole('link', { name: 'Trash' }).click();
      await waitText(page.locator('#trash-status'), '1 deleted note.');
      await checkScreen(page, 'trash');
      await page.getByRole('button', { name: /for good/ }).click();
      await page.getByRole('dialog').waitFor();
      await checkScreen(page, 'delete for good dialog');
      await page.keyboard.press('Escape');

      await page.getByRole('link', { name: 'Account' }).click();
      await page.getByRole('heading', { name: 'Your account' }).waitFor();
      await checkScreen(page, 'account');
      await page.getByRole('button', { name: 'Delete my account…' }).click();
      await page.getByLabel('Your password').fill('not my password');
      await page.getByRole('dialog').getByRole('button', { name: 'Delete my account' }).click();
      await waitText(page.locator('#delete-account-password-error'), 'Wrong password.');
      await checkScreen(page, 'delete account dialog');
      await page.keyboard.press('Escape');
      await logout(page);
      await checkScreen(page, 'log in');
      await login(page, name, 'wrong password');
      await waitText(page.locator('#auth-error'), 'Wrong username or password.');
      await checkScreen(page, 'log-in error');
      // The switch goes through the router (a hash change): fill the form
      // only once the register screen is up, so nothing resets it after.
      await page.getByRole('button', { name: 'Create an account' }).click();
      await page.getByRole('heading', { name: 'Create an account' }).waitFor();
      await page.waitForFunction(() => location.hash === '#/register');
      await page.getByLabel('Username').fill('x');
      await page.locator('#auth-submit').click();
      await waitText(page.locator('#auth-username-error'), 'Use 2–32 characters');
      await checkScreen(page, 'register errors');
      assertNoProblems(page);
      await page.context().close();
    });
  }
}
