// Shared helpers for the browser tests: Debian's Chromium through
// playwright-core, the app's main actions, screenshots, and the hooks that
// reach around the app (expire a session in the database, stop and start the
// cluster). test/browser/run sets the environment; see that script.

import { chromium } from 'playwright-core';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import path from 'node:path';

export const BASE = process.env.FINOTE_BASE_URL || 'http://127.0.0.1:3320';
const SHOTS = process.env.FINOTE_SCREENSHOTS || path.resolve(import.meta.dirname, '../out/screenshots');
const PG_PORT = process.env.FINOTE_PG_PORT || '54340';
const PG_DB = process.env.FINOTE_PG_DB || 'finote_browser';
const PG_DIR = process.env.FINOTE_PG_DIR || '.finote/browser';
const ROOT = path.resolve(import.meta.dirname, '../..');

export const PASSWORD = 'correct horse battery';

// Chromium now and then hangs at start on a machine under heavy load: give
// each start a minute, and three tries.
export async function launch() {
  for (let attempt = 1; ; attempt++) {
    try {
      return await chromium.launch({
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        timeout: 60_000,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
          '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
    } catch (e) {
      if (attempt >= 3) throw e;
      console.error(`chromium did not start (try ${attempt} of 3): ${e.message.split('\n')[0]}`);
    }
  }
}

// A fresh browser context (own cookies and localStorage) and page. Script
// errors and CSP violations in the page are collected in page.problems, and
// assertNoProblems() fails the test on any of them.
export async function newPage(browser, { viewport = { width: 1280, height: 800 }, mobile = false } = {}) {
  const context = await browser.newContext({
    viewport, isMobile: mobile, hasTouch: mobile, deviceScaleFactor: 1, colorScheme: 'light',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const t = m.text();
    // A failed fetch (401, 503, aborted) is logged by Chromium; it is expected, not a bug.
    if (/^Failed to load resource/.test(t)) return;
    page.problems.push('console error: ' + t);
  });
  return page;
}

export function assertNoProblems(page) {
  assert.deepEqual(page.problems, [], 'no script errors or CSP violations in the page');
}

export function uniqueName(prefix) {
  return (prefix + '_' + randomBytes(4).toString('hex')).slice(0, 32);
}

export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// Run axe-core's WCAG 2.1 A/AA rules in the page (through DevTools, so the
// page's CSP still holds for the app itself) and fail with a readable list
// of what it found.
export async function checkScreen(page, screen) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  let timer;
  const tooLong = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`axe did not finish on the ${screen} screen within 60 s`)), 60_000);
  });
  const violations = await Promise.race([tooLong, page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  })]).finally(() => clearTimeout(timer));
  assert.deepEqual(violations, [], `accessibility problems on the ${screen} screen`);
}

// Wait until `locator`'s text matches `expected` (string: contains; RegExp).
export async function waitText(locator, expected, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = (await locator.textContent({ timeout }).catch(() => '')) || '';
    if (typeof expected === 'string' ? last.includes(expected) : expected.test(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${expected} in text; last text: ${JSON.stringify(last)}`);
}

export async function waitFor(fn, what, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail('timed out waiting for ' + what);
}

export async function open(page) {
  await page.goto(BASE + '/');
  await page.locator('#view-boot').waitFor({ state: 'hidden' });
}

export async function register(page, username, password = PASSWORD, base = BASE) {
  await page.goto(base + '/#/register');
  await page.getByRole('heading', { name: 'Create an account' }).waitFor();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Your notes' }).waitFor();
}

export async function login(page, username, password = PASSWORD) {
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.locator('#auth-submit').click();
}

export async function logout(page) {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
}

// From the list: New note, type, wait for the server to confirm, back to the list.
// The account screen, from the list's Account link.
export async function openAccount(page) {
  await page.getByRole('link', { name: 'Account' }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
}

export async function createNote(page, title, content) {
  await page.getByRole('link', { name: 'New note' }).click();
  await page.getByRole('heading', { name: 'New note' }).waitFor();
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Text', { exact: true }).fill(content);
  await page.getByRole('button', { name: 'Save' }).click();
  await waitText(page.locator('#save-status'), /^Saved/);
  await page.getByRole('link', { name: /All notes/ }).click();
  await page.getByRole('heading', { name: 'Your notes' }).waitFor();
  await noteLink(page, title).waitFor();
}

// Open a note from the list and wait until the editor holds its text.
export async function openNote(page, title) {
  await noteLink(page, title).click();
  await editorReady(page);
}

export async function editorReady(page) {
  await page.getByRole('heading', { name: 'Edit note' }).waitFor();
  await page.locator('#editor-form').waitFor({ state: 'visible' });
  await waitFor(async () => (await page.locator('#save-status').textContent()) !== 'Loading…', 'the note to load');
}

export function noteLink(page, title) {
  return page.locator('#notes a.note-link').filter({ has: page.locator('.note-title', { hasText: title }) });
}

// Titles in the list, top to bottom.
export async function listedTitles(page) {
  return page.locator('#notes .note-title').allTextContents();
}

// Create notes through the API with the page's own session cookie.
export async function apiCreateNotes(page, notes) {
  return page.evaluate(async (list) => {
    const out = [];
    for (const n of list) {
      const r = await fetch('/api/notes', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(n),
      });
      if (r.status !== 201) throw new Error('create note: HTTP ' + r.status);
      out.push((await r.json()).note);
    }
    return out;
  }, notes);
}

export async function apiSpeaks11(page) {
  return page.evaluate(async () => (await fetch('/api/tags', { credentials: 'same-origin' })).status === 200);
}

// One API request with the page's session cookie: {status, headers, json}.
export async function apiCall(page, method, path, { body, headers = {} } = {}) {
  return page.evaluate(async ([m, p, b, hs]) => {
    const init = { method: m, credentials: 'same-origin', headers: { ...hs } };
    if (b !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(b); }
    const r = await fetch(p, init);
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* 204, or not JSON */ }
    return { status: r.status, headers: Object.fromEntries(r.headers.entries()), json };
  }, [method, path, body, headers]);
}

// The note as the server has it now.
export async function serverNote(page, id) {
  const r = await apiCall(page, 'GET', '/api/notes/' + id);
  assert.equal(r.status, 200, 'GET the note');
  return r.json.note;
}

// What the page holds in localStorage: the unsaved drafts, parsed.
export async function localDrafts(page) {
  return page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('finote.draft.'))
    .map((k) => JSON.parse(localStorage.getItem(k))));
}

// ---- Around the app: the database, as its superuser ----

export function psql(sql) {
  return execFileSync('psql', ['-X', '-q', '-h', '127.0.0.1', '-p', PG_PORT, '-U', 'postgres', '-d', PG_DB,
    '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { encoding: 'utf8' }).trim();
}

// Make every session of `username` expired, for real, in the database.
export async function expireSessions(username) {
  psql(`UPDATE finote.sessions SET expires_at = now() - interval '1 second'
         WHERE user_id IN (SELECT id FROM finote.users WHERE lower(username) = lower($$${username}$$))`);
}

// A second shim on a database of its own at an older extension version
// (`finote-db migrate VERSION`), for the app against an older server. The
// same cluster; the port after the suite's shim. stop() ends it.
export async function startOlderServer(version) {
  const db = 'finote_browser_' + version.replace(/\./g, '_');
  const port = Number(new URL(BASE).port) + 1;
  const env = { ...process.env, DATABASE_URL: `postgresql://postgres@127.0.0.1:${PG_PORT}/${db}` };
  const finoteDb = (...args) => execFileSync(path.join(ROOT, 'bin/finote-db'), args, { env, stdio: 'ignore' });
  execFileSync('psql', ['-X', '-q', '-h', '127.0.0.1', '-p', PG_PORT, '-U', 'postgres', '-d', 'postgres',
    '-v', 'ON_ERROR_STOP=1', '-c', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`, '-c', `CREATE DATABASE ${db}`],
  { stdio: 'ignore' });
  finoteDb('migrate', version);
  finoteDb('app-role', 'finote_app');
  execFileSync('psql', ['-X', '-q', '-h', '127.0.0.1', '-p', PG_PORT, '-U', 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=1',
    '-c', `ALTER DATABASE ${db} SET finote.register_max_per_address = 1000`], { stdio: 'ignore' });
  const shim = spawn(path.join(ROOT, 'shim/finote-shim'), [], {
    env: {
      ...process.env, PORT: String(port), FINOTE_LISTEN_ADDR: '127.0.0.1',
      DATABASE_URL: `postgresql://finote_app@127.0.0.1:${PG_PORT}/${db}`,
      FINOTE_WEB_ROOT: path.join(ROOT, 'shim/www'), SESSION_SECRET: randomBytes(48).toString('base64'),
    },
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(base + '/healthz').catch(() => null))?.ok, `the ${version} shim on ${base}`);
  const ready = await (await fetch(base + '/readyz')).text();
  return {
    base, ready,
    async stop() {
      if (shim.exitCode !== null) return;
      const exited = new Promise((r) => shim.once('exit', r));
      shim.kill('SIGTERM');
      await exited;
    },
  };
}

// Stop the cluster under the running shim (fast shutdown), and start it again.
export async function stopDatabase() {
  execFileSync(path.join(ROOT, 'test/bin/pgcluster'), ['stop', PG_DIR], { cwd: ROOT, stdio: 'inherit' });
}

export async function startDatabase() {
  execFileSync(path.join(ROOT, 'test/bin/pgcluster'), ['start', PG_DIR, PG_PORT], { cwd: ROOT, stdio: 'inherit' });
}
