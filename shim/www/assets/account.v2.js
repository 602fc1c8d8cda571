// account: export my notes, delete my account (finote 1.2), import notes
// (finote 1.3, import.v1.js).
//   #/account
// The export is fetched (so a refusal is shown in words, not saved as a
// file) and handed to the browser as a download. Deleting the account asks
// for the password; the server checks it against the same attempt budget as
// a password change (429 with Retry-After when spent).

import { api, describe, pleaseWait } from './api.v3.js';
import { $, showView, setText, fieldError, clearErrors, announce } from './dom.v2.js';
import { openImport, initImport } from './import.v1.js';

let exporting = false;
let deleting = false;

export function openAccount(ctx) {
  document.title = 'Your account · Finote';
  setText('account-notice', '');
  setText('export-error', '');
  setText('export-status', '');
  openImport(ctx);
  showView('view-account');
}

async function exportNotes(ctx) {
  if (exporting) return;
  exporting = true;
  const button = $('export-btn');
  button.setAttribute('aria-busy', 'true');
  setText('export-error', '');
  setText('export-status', 'Preparing your export…');
  try {
    const blob = await api.exportNotes({ revisions: $('export-revisions').checked });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = 'finote-export.json';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    setText('export-status', 'Your export is downloaded (finote-export.json).');
  } catch (e) {
    setText('export-status', '');
    if (e.sessionExpired) { ctx.sessionExpired(); return; }
    setText('export-error', 'Not exported: ' + describe(e));
  } finally {
    exporting = false;
    button.removeAttribute('aria-busy');
  }
}

function deleteError(e) {
  if (e.status === 401 && e.code === 'invalid_credentials') return 'Wrong password. Your account was not deleted.';
  if (e.status === 401) return null;   // the session itself is gone
  if (e.status === 429) return 'Too many wrong passwords. Your account was not deleted. ' + pleaseWait(e);
  return 'Your account was not deleted: ' + describe(e);
}

export function initAccount(ctx, { accountDeleted }) {
  $('export-btn').addEventListener('click', () => exportNotes(ctx));
  initImport(ctx);

  const dialog = $('delete-account');
  const form = $('delete-account-form');
  $('delete-account-btn').addEventListener('click', () => {
    clearErrors(form);
    $('delete-account-password').value = '';
    dialog.returnValue = '';
    dialog.showModal();
    $('delete-account-password').focus();
  });
  dialog.addEventListener('close', () => {
    $('delete-account-password').value = '';   // never left in the page
    if (!$('view-account').hidden) $('delete-account-btn').focus();
  });
  $('delete-account-cancel').addEventListener('click', () => dialog.close());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();   // the dialog stays open until the account is gone
    if (deleting) return;
    clearErrors(form);
    const password = $('delete-account-password').value;
    if (!password) {
      fieldError('delete-account-password', 'Enter your password.');
      $('delete-account-password').focus();
      return;
    }
    deleting = true;
    const ok = $('delete-account-ok');
    ok.setAttribute('aria-busy', 'true');
    try {
      await api.deleteAccount(password);
    } catch (err) {
      const msg = deleteError(err);
      if (msg === null) { dialog.close(); ctx.sessionExpired(); return; }
      if (err.code === 'invalid_credentials') {
        fieldError('delete-account-password', msg);
        $('delete-account-password').value = '';
        $('delete-account-password').focus();
      } else {
        setText('delete-account-error', msg);
      }
      announce(msg);
      return;
    } finally {
      deleting = false;
      ok.removeAttribute('aria-busy');
    }
    dialog.close();
    accountDeleted();
  });
}
