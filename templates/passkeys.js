/*!
 * rocket_passkeys: the browser side of passkey sign-up and sign-in.
 * Vanilla ES2020, no build step, no dependencies.
 *
 * Stable hooks (keep them when you override the templates):
 *
 *   <script src="/passkeys/passkeys.js" data-mount="/passkeys" defer>
 *       Where the JSON API lives (default "/passkeys").
 *   <main id="passkeys" data-next="/path">  (or data-next on the action element or its form)
 *       Local path to land on afterwards; sent to the server as "next".
 *   [data-passkey-action="register"]
 *       Creates a passkey. Sends input[name="username"] and input[name="display_name"]
 *       from the same form (sign-up); with no username input it adds a passkey to
 *       the signed-in account.
 *   [data-passkey-action="authenticate"]
 *       Signs in. Username-first when input[name="username"] in the same form has
 *       a value, usernameless otherwise.
 *   [data-passkey-action="sign-out"]
 *       Ends the session.
 *   [data-passkey-action="rename"], [data-passkey-action="delete"]
 *       On the manage screen, inside the passkey's [data-passkey-id] row (which holds
 *       input[name="name"]). Delete asks for confirmation. Adding, renaming or deleting
 *       may ask for a passkey sign-in first: when the session is old (reauth_required),
 *       or lacks a factor of the account (factor_required).
 *   #passkeys-manage[data-rp-id][data-user-id][data-username][data-display-name]
 *                   [data-credential-ids]
 *       Lets the script tell the passkey provider which passkeys still exist and the
 *       user's names (WebAuthn Signal API, where the browser has it).
 *   [data-passkey-action="skip"], [data-passkey-action="never"]
 *       On the enrollment prompt: "Not now" and "Don't ask again".
 *   [data-passkey-action="end-session"], [data-passkey-action="end-other-sessions"]
 *       Submit buttons of the manage screen's session forms (inside the session's
 *       [data-session-id] row): end it through the JSON API, signing in again first
 *       when the server asks; without JavaScript the forms post themselves.
 *   [data-passkey-action="recovery-codes"]
 *       Makes new recovery codes (after a confirmation) and shows them once.
 *   [data-passkey-action="recover"]
 *       Signs in with input[name="username"] and input[name="code"] of its form.
 *   #passkeys-recovery-codes (hidden, with an <ol> and a
 *   [data-passkey-action="codes-saved"] button)
 *       Where recovery codes are shown after sign-up or renewal.
 *   input[autocomplete~="webauthn"]  (e.g. autocomplete="username webauthn")
 *       Offers passkeys in the browser's autofill (conditional mediation).
 *   the passkeys_upgrade cookie (auto_upgrade, set after a sign-in another way)
 *       Any page with this script then tries an automatic upgrade (conditional create)
 *       and shows the invitation where the browser cannot; see autoUpgrade().
 *   #passkey-error  (role="alert", hidden)
 *       Where errors are shown, as plain text.
 *
 * A click on an action element runs it, and so does a submit of its form (Enter
 * included; the form is not posted, and a submit through another, ordinary submit
 * button is left alone). While it runs, the element is disabled and aria-busy.
 *
 * Scripting: window.rocketPasskeys.register({username, display_name, next}),
 * .authenticate({username, next}), .signOut(), .api(path, body). They return
 * promises, navigate to the server's redirect unless {redirect: false} is passed,
 * and reject with an Error whose .code is stable and whose .message can be shown.
 */
(function () {
  'use strict';

  const script = document.currentScript || document.querySelector('script[data-mount]');
  const MOUNT = ((script && script.dataset.mount) || '/passkeys').replace(/\/+$/, '');
  const PKC = window.PublicKeyCredential;
  const AUTOFILL_INPUT = 'input[autocomplete~="webauthn"]';
  const ACTION = '[data-passkey-action]';
  const UPGRADE_WAIT_MS = 5000; // how long an automatic upgrade may take before the invitation

  // What people read, keyed by the .code of the errors this file raises itself: the
  // page's own language (its `data-messages`, from the server's catalog), else these.
  const MESSAGES = Object.assign({
    generic: 'Something went wrong. Please try again.',
    network: 'Could not reach the server. Check your connection and try again.',
    rate_limited: 'Too many attempts. Please wait a moment and try again.',
    cancelled: 'No passkey was used. If this device has none for this site, try another device or sign in another way.',
    already_registered: 'This device already has a passkey for this account.',
    security: 'Passkeys cannot be used at this address. Please check the site address.',
    constraint: 'This device cannot meet the passkey requirements, for example a screen lock.',
    not_supported: 'This device or browser cannot create the kind of passkey this site needs.',
    insecure_context: 'Passkeys need a secure (HTTPS) connection.',
    unsupported: 'This browser does not support passkeys. Please try another browser or update this one.',
    confirm_codes: 'Make new recovery codes? The ones you have now stop working.',
    confirm_delete: 'Delete the passkey \u201c{name}\u201d? You will no longer be able to sign in with it.',
    codes_alert: 'Save your recovery codes, shown only now:',
  }, pageMessages());

  function pageMessages() {
    const main = document.getElementById('passkeys');
    try {
      return (main && main.dataset.messages && JSON.parse(main.dataset.messages)) || {};
    } catch (err) {
      return {};
    }
  }
  // DOMException names from create()/get(); anything else is 'webauthn' (generic sentence).
  const BROWSER_ERRORS = {
    NotAllowedError: 'cancelled', // dismissed, timed out, or no passkey chosen
    AbortError: 'cancelled',
    SecurityError: 'security',    // rp id does not match this address, or not HTTPS
    ConstraintError: 'constraint', // e.g. user verification required but unavailable
    NotSupportedError: 'not_supported',
  };

  let busy = false;      // one ceremony at a time
  let autofill = null;   // the pending conditional request: {controller, starting}

  class PasskeyError extends Error {
    constructor(code, message, extra) {
      super(message || MESSAGES[code] || MESSAGES.generic);
      this.name = 'PasskeyError';
      this.code = code;
      Object.assign(this, extra);
    }
  }

  // ---- base64url <-> ArrayBuffer (only for browsers without the JSON helpers) ----

  function toBase64url(data) {
    const bytes = ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function fromBase64url(text) {
    const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  // ---- options JSON -> WebAuthn dictionaries, credential -> JSON ----

  function descriptors(list) {
    return list && list.map((d) => Object.assign({}, d, { id: fromBase64url(d.id) }));
  }

  // The native parsers know every field (hints included); the fallback converts only
  // the binary ones and passes the rest through, which browsers ignore when unknown.
  function creationOptions(json) {
    if (typeof PKC.parseCreationOptionsFromJSON === 'function') {
      try { return PKC.parseCreationOptionsFromJSON(json); } catch (err) { /* use the fallback */ }
    }
    const options = Object.assign({}, json, {
      challenge: fromBase64url(json.challenge),
      user: Object.assign({}, json.user, { id: fromBase64url(json.user.id) }),
    });
    if (json.excludeCredentials) options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    if (typeof PKC.parseRequestOptionsFromJSON === 'function') {
      try { return PKC.parseRequestOptionsFromJSON(json); } catch (err) { /* use the fallback */ }
    }
    const options = Object.assign({}, json, { challenge: fromBase64url(json.challenge) });
    if (json.allowCredentials) options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  function credentialJSON(cred) {
    // Some password-manager extensions hand back credentials whose toJSON is missing or throws.
    if (typeof cred.toJSON === 'function') {
      try { return cred.toJSON(); } catch (err) { /* build it by hand */ }
    }
    const r = cred.response;
    const json = {
      id: cred.id,
      rawId: toBase64url(cred.rawId),
      type: cred.type,
      response: { clientDataJSON: toBase64url(r.clientDataJSON) },
      clientExtensionResults: cred.getClientExtensionResults(), // credProps: plain JSON
      authenticatorAttachment: cred.authenticatorAttachment || null,
    };
    if (r.attestationObject) {
      json.response.attestationObject = toBase64url(r.attestationObject);
      if (typeof r.getTransports === 'function') json.response.transports = r.getTransports();
    } else {
      json.response.authenticatorData = toBase64url(r.authenticatorData);
      json.response.signature = toBase64url(r.signature);
      json.response.userHandle = r.userHandle ? toBase64url(r.userHandle) : null;
    }
    return json;
  }

  // ---- the JSON API ----

  async function api(path, body, method = 'POST') {
    let res;
    try {
      res = await fetch(MOUNT + path, {
        method,
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body || {}),
      });
    } catch (err) {
      throw new PasskeyError('network', null, { cause: err });
    }
    let data = null;
    try { data = await res.json(); } catch (err) { /* not JSON */ }
    if (!res.ok) {
      const ok = data && typeof data === 'object';
      const code = (ok && data.error) || (res.status === 429 ? 'rate_limited' : 'http_' + res.status);
      const message = ok && typeof data.message === 'string' ? data.message : null;
      const retryAfter = res.headers.get('Retry-After');
      throw new PasskeyError(code, message, { status: res.status, retryAfter, data });
    }
    return data || {};
  }

  // ---- browser errors -> friendly sentences ----

  function fromBrowser(err, action) {
    const name = err && err.name;
    // On create(), InvalidStateError means an excludeCredentials match: already registered here.
    const excluded = name === 'InvalidStateError' && action === 'register';
    return new PasskeyError(excluded ? 'already_registered' : BROWSER_ERRORS[name] || 'webauthn', null, { cause: err });
  }

  function supportError() {
    if (PKC && navigator.credentials) return null;
    // Browsers hide the API outside secure contexts: say that rather than "unsupported".
    return new PasskeyError(window.isSecureContext ? 'unsupported' : 'insecure_context');
  }

  // ---- ceremonies ----

  function go(redirect, opts) {
    if (opts && opts.redirect === false) return;
    // The server only answers local paths; refuse anything else all the same.
    const url = new URL(typeof redirect === 'string' ? redirect : '/', location.href);
    location.assign(url.origin === location.origin ? url.href : '/');
  }

  // Before a button ceremony: check support, then free the browser from the autofill request.
  async function prepare() {
    const unsupported = supportError();
    if (unsupported) throw unsupported;
    await abortAutofill();
  }

  // navigator.credentials.create/get, with the browser's DOMExceptions turned into sentences.
  async function ask(method, options, action) {
    let cred;
    try {
      cred = await navigator.credentials[method](options);
    } catch (err) {
      throw fromBrowser(err, action);
    }
    if (!cred) throw fromBrowser({ name: 'NotAllowedError' }, action);
    return cred;
  }

  async function register(opts = {}) {
    await prepare();
    const body = { next: opts.next || undefined };
    if (opts.username !== undefined) {
      body.username = opts.username;
      if (opts.display_name) body.display_name = opts.display_name;
    }
    const start = await api('/register/start', body);
    const cred = await ask('create', { publicKey: creationOptions(start.publicKey) }, 'register');
    const done = await api('/register/finish', credentialJSON(cred));
    // A new account's recovery codes are shown once, before going on.
    if (Array.isArray(done.recovery_codes)) await showRecoveryCodes(done.recovery_codes);
    go(done.redirect, opts);
    return done;
  }

  async function authenticate(opts = {}) {
    await prepare();
    const body = { next: opts.next || undefined };
    if (opts.username) body.username = opts.username;
    const start = await api('/authenticate/start', body);
    const cred = await ask('get', { publicKey: requestOptions(start.publicKey) }, 'authenticate');
    return finishAuthentication(cred, start.publicKey, opts);
  }

  async function finishAuthentication(cred, optionsJSON, opts) {
    const json = credentialJSON(cred);
    let done;
    try {
      done = await api('/authenticate/finish', json);
    } catch (err) {
      if (err.code === 'authentication_failed' && err.data && err.data.unknown_credential === true) {
        signalUnknownCredential((optionsJSON && optionsJSON.rpId) || location.hostname, json.id);
      }
      throw err;
    }
    go(done.redirect, opts);
    return done;
  }

  // Tells the password manager to forget a passkey the server no longer knows (Signal API).
  // Not awaited by the caller; it never rejects.
  async function signalUnknownCredential(rpId, credentialId) {
    if (typeof PKC.signalUnknownCredential !== 'function') return;
    try {
      await PKC.signalUnknownCredential({ rpId, credentialId });
    } catch (err) {
      console.debug('rocket_passkeys: signalUnknownCredential failed', err);
    }
  }

  async function signOut(opts = {}) {
    const done = await api('/sign-out', {});
    go(done.redirect || '/', opts);
    return done;
  }

  // ---- managing passkeys ----

  // What the manage screen says about the account, for the Signal API and re-authentication.
  function account() {
    const el = document.getElementById('passkeys-manage');
    if (!el) return null;
    return {
      rpId: el.dataset.rpId,
      userId: el.dataset.userId,
      username: el.dataset.username,
      displayName: el.dataset.displayName,
      ids: (el.dataset.credentialIds || '').split(/\s+/).filter(Boolean),
    };
  }

  // Adding or deleting a passkey needs a recent sign-in, and adding one a session that
  // holds every factor of the account: when the server asks, sign in again with a
  // passkey of this account, then retry once.
  async function withReauth(action) {
    try {
      return await action();
    } catch (err) {
      const again = err instanceof PasskeyError
        && (err.code === 'reauth_required' || err.code === 'factor_required');
      if (!again) throw err;
      const acct = account();
      if (acct && acct.ids.length === 0) throw err; // no passkey to confirm with: sign in again
      await authenticate({ username: acct ? acct.username : undefined, redirect: false });
      return action();
    }
  }

  // Shows recovery codes (the only time they are readable) and resolves when the user
  // says they saved them. The page's other content is hidden meanwhile.
  function showRecoveryCodes(codes) {
    const panel = document.getElementById('passkeys-recovery-codes');
    if (!panel) {
      window.alert(MESSAGES.codes_alert + '\n\n' + codes.join('\n'));
      return Promise.resolve();
    }
    const list = panel.querySelector('ol');
    list.textContent = '';
    for (const code of codes) {
      const item = document.createElement('li');
      item.textContent = code;
      list.appendChild(item);
    }
    const main = document.getElementById('passkeys');
    const hidden = [];
    for (const child of main.children) {
      if (child !== panel && child.id !== 'passkey-error' && !child.hidden) {
        child.hidden = true;
        hidden.push(child);
      }
    }
    panel.hidden = false;
    const title = panel.querySelector('h2');
    if (title) title.focus();
    return new Promise((resolve) => {
      const button = panel.querySelector('[data-passkey-action="codes-saved"]');
      button.addEventListener('click', () => {
        panel.hidden = true;
        for (const child of hidden) child.hidden = false;
        resolve();
      }, { once: true });
    });
  }

  async function newRecoveryCodes() {
    const question = MESSAGES.confirm_codes;
    if (!window.confirm(question)) return;
    const done = await withReauth(() => api('/recovery-codes', {}));
    await showRecoveryCodes(done.recovery_codes || []);
    location.reload();
  }

  async function recover(form) {
    const done = await api('/recover', { username: field(form, 'username') || '', code: field(form, 'code') || '' });
    go(done.redirect);
  }

  // Ends a session from its form on the manage screen (the form posts it without
  // JavaScript); another device's needs a recent sign-in, asked for when needed.
  async function endSession(form, action) {
    const item = form.closest('[data-session-id]');
    const path = action === 'end-other-sessions' ? '/sessions/others' : '/sessions/' + encodeURIComponent(item.dataset.sessionId);
    const done = await withReauth(() => api(path, {}, 'DELETE'));
    if (done.signed_out) go(done.redirect || '/');
    else location.reload();
  }

  function row(el) {
    const item = el.closest('[data-passkey-id]');
    if (!item) throw new PasskeyError('generic');
    const input = item.querySelector('input[name="name"]');
    return { id: item.dataset.passkeyId, input, name: input ? input.value.trim() : '' };
  }

  async function rename(el) {
    const { id, name } = row(el);
    await withReauth(() => api('/credentials/' + encodeURIComponent(id), { name }, 'PATCH'));
    location.reload();
  }

  async function remove(el) {
    const { id, name } = row(el);
    const question = MESSAGES.confirm_delete.replace('{name}', () => name);
    if (!window.confirm(question)) return;
    const done = await withReauth(() => api('/credentials/' + encodeURIComponent(id), {}, 'DELETE'));
    await signalAccepted(done.credentials);
    location.reload();
  }

  // Tells the passkey provider which passkeys this account still has, so it can hide the
  // deleted ones (Signal API, where the browser has it). Never rejects.
  async function signalAccepted(ids) {
    const acct = account();
    if (!acct || !PKC || typeof PKC.signalAllAcceptedCredentials !== 'function') return;
    try {
      await PKC.signalAllAcceptedCredentials({
        rpId: acct.rpId,
        userId: acct.userId,
        allAcceptedCredentialIds: ids || acct.ids,
      });
    } catch (err) {
      console.debug('rocket_passkeys: signalAllAcceptedCredentials failed', err);
    }
  }

  // Keeps the provider's copy of the user's names current (Signal API). Never rejects.
  async function signalUserDetails() {
    const acct = account();
    if (!acct || !PKC || typeof PKC.signalCurrentUserDetails !== 'function') return;
    try {
      await PKC.signalCurrentUserDetails({
        rpId: acct.rpId,
        userId: acct.userId,
        name: acct.username,
        displayName: acct.displayName,
      });
    } catch (err) {
      console.debug('rocket_passkeys: signalCurrentUserDetails failed', err);
    }
  }

  // The enrollment prompt's "Not now" and "Don't ask again".
  async function enrollChoice(choice, opts = {}) {
    const done = await api('/enroll/' + choice, opts.next ? { next: opts.next } : {});
    go(done.redirect || '/', opts);
    return done;
  }

  // ---- autofill (conditional mediation) ----

  // What the browser says it can do (WebAuthn Level 3 getClientCapabilities), asked once;
  // {} where it cannot say, and each use falls back to the older checks.
  let capabilityAnswer = null;
  function capabilities() {
    if (!capabilityAnswer) {
      capabilityAnswer = (PKC && typeof PKC.getClientCapabilities === 'function')
        ? PKC.getClientCapabilities().catch(() => ({}))
        : Promise.resolve({});
    }
    return capabilityAnswer;
  }

  async function canAutofill() {
    const caps = await capabilities();
    if (typeof caps.conditionalGet === 'boolean') return caps.conditionalGet;
    if (typeof PKC.isConditionalMediationAvailable !== 'function') return false;
    try {
      return await PKC.isConditionalMediationAvailable();
    } catch (err) {
      return false;
    }
  }

  async function startAutofill() {
    if (autofill || busy || supportError() || !document.querySelector(AUTOFILL_INPUT)) return;
    if (!(await canAutofill()) || autofill || busy) return;
    const controller = new AbortController();
    const current = { controller, starting: api('/authenticate/start', { next: pageNext(null) }) };
    autofill = current;
    let options;
    let cred;
    try {
      options = (await current.starting).publicKey;
      if (controller.signal.aborted) return;
      cred = await navigator.credentials.get({
        publicKey: requestOptions(options), mediation: 'conditional', signal: controller.signal,
      });
    } catch (err) {
      // Aborted by a button, or no passkey to offer (that rejects at once): nothing to say.
      if (BROWSER_ERRORS[err && err.name] !== 'cancelled') console.warn('rocket_passkeys: no autofill:', err);
      return;
    } finally {
      if (autofill === current) autofill = null;
    }
    if (!cred || busy) return;
    // The person picked a passkey: from here on, failures are theirs to see.
    // Not restarted after a failure here: a virtual authenticator (headless tests)
    // answers autofill at once, which would loop.
    busy = true;
    clearError();
    try {
      await finishAuthentication(cred, options, {});
    } catch (err) {
      showError(err);
    } finally {
      busy = false;
    }
  }

  // Cancels the pending autofill request before a button ceremony. Its start request is
  // awaited first: its answer sets the ceremony cookie, and must not land after ours.
  async function abortAutofill() {
    const current = autofill;
    autofill = null;
    if (!current) return;
    current.controller.abort();
    await current.starting.catch(() => {});
  }

  // ---- the page: errors, busy state, delegated hooks ----

  function showError(err) {
    const box = document.getElementById('passkey-error');
    // Only our own errors carry sentences meant for people; log the rest for developers.
    const known = err instanceof PasskeyError;
    if (!known || err.code === 'webauthn') console.error('rocket_passkeys:', (err && err.cause) || err);
    const message = known ? err.message : MESSAGES.generic;
    if (!box) { console.error('rocket_passkeys:', message); return; }
    box.textContent = message;
    box.hidden = false;
    // Keyboard and screen-reader users land on the error, wherever focus was.
    box.focus();
  }

  function clearError() {
    const box = document.getElementById('passkey-error');
    if (box) { box.textContent = ''; box.hidden = true; }
  }

  function setBusy(el, on) {
    if ('disabled' in el) el.disabled = on;
    if (on) el.setAttribute('aria-busy', 'true'); else el.removeAttribute('aria-busy');
  }

  function pageNext(el) {
    const holders = [el, el && (el.form || el.closest('form')), document.getElementById('passkeys')];
    for (const holder of holders) {
      if (holder && holder.dataset && holder.dataset.next) return holder.dataset.next;
    }
    return undefined;
  }

  function field(form, name) {
    const input = form && form.querySelector('input[name="' + name + '"]');
    return input ? input.value.trim() : undefined;
  }

  async function run(el, action) {
    if (busy) return;
    const form = el.form || el.closest('form');
    const next = pageNext(el);
    busy = true;
    setBusy(el, true);
    clearError();
    let cancelled = false;
    try {
      if (action === 'register') {
        const username = field(form, 'username');
        const display_name = field(form, 'display_name');
        await withReauth(() => register({ username, display_name, next }));
      } else if (action === 'rename') {
        await rename(el);
      } else if (action === 'delete') {
        await remove(el);
      } else if (action === 'authenticate') {
        await authenticate({ username: field(form, 'username'), next });
      } else if (action === 'sign-out') {
        await signOut();
      } else if (action === 'skip' || action === 'never') {
        await enrollChoice(action, { next });
      } else if (action === 'recovery-codes') {
        await newRecoveryCodes();
      } else if (action === 'recover') {
        await recover(form);
      } else if (action === 'end-session' || action === 'end-other-sessions') {
        await endSession(form, action);
      } else if (action === 'codes-saved') {
        // Handled by the panel's own listener.
      } else {
        console.warn('rocket_passkeys: unknown data-passkey-action', action);
      }
    } catch (err) {
      showError(err);
      cancelled = err instanceof PasskeyError && err.code === 'cancelled';
    } finally {
      busy = false;
      setBusy(el, false);
    }
    // The dialog was dismissed and nothing changed: offer autofill again.
    if (cancelled) startAutofill();
  }

  function isSubmitButton(el) {
    return el.form && (el.type === 'submit' || el.type === 'image') && /^(BUTTON|INPUT)$/.test(el.tagName);
  }

  document.addEventListener('click', (event) => {
    const el = event.target.closest && event.target.closest(ACTION);
    // Submit buttons go through the form's submit event, so the browser validates first.
    if (!el || isSubmitButton(el)) return;
    event.preventDefault();
    run(el, el.dataset.passkeyAction);
  });

  document.addEventListener('submit', (event) => {
    const form = event.target;
    const submitter = event.submitter;
    // No submitter (requestSubmit(), Enter with no submit button, old Safari): the form's
    // passkey element. A submit through an ordinary button (a password form) is left alone.
    const el = submitter ? submitter.closest(ACTION) : form.querySelector(ACTION);
    if (!el) return;
    event.preventDefault();
    run(el, el.dataset.passkeyAction);
  });

  // The browser holds one started sign-in for this site (the latest): another tab's
  // autofill request replaces this one's. A page that comes back into view (a tab
  // switch, or back/forward navigation) starts its own again.
  function renewAutofill() {
    if (busy || document.visibilityState !== 'visible') return;
    if (autofill) abortAutofill().then(startAutofill);
    else startAutofill();
  }
  document.addEventListener('visibilitychange', () => {
    if (autofill) renewAutofill();
  });
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) renewAutofill();
  });

  // Elements marked [data-passkey-if="hybrid"] (such as "or use a phone") show only
  // where the browser says it can reach a phone's passkey.
  async function revealCapabilities() {
    const marked = document.querySelectorAll('[data-passkey-if="hybrid"]');
    if (!marked.length) return;
    const caps = await capabilities();
    for (const el of marked) el.hidden = caps.hybridTransport !== true;
  }

  // With auto_upgrade, after a sign-in another way the server marks the page it lands
  // on (the passkeys_upgrade cookie). Where the browser can create a passkey without
  // asking (conditional create), this page asks its password manager to; where it cannot,
  // or does not, the invitation shows (with its "Not now" and "Don't ask again"). The
  // outcome is left on <html data-passkey-upgrade> for tests and the app's own script.
  async function autoUpgrade() {
    if (!/(?:^|;\s*)passkeys_upgrade=1(?:;|$)/.test(document.cookie)) return;
    document.cookie = 'passkeys_upgrade=; Max-Age=0; Path=/';
    const marker = document.documentElement.dataset;
    const here = location.pathname + location.search;
    const caps = await capabilities();
    if (caps.conditionalCreate === true && !supportError()) {
      try {
        const start = await api('/register/start', { mediation: 'conditional', next: here });
        // A conditional create is silent: it settles at once where the password manager
        // takes it. One still pending after a few seconds will not be taken (a browser
        // without such a password manager may leave it pending for good).
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), UPGRADE_WAIT_MS);
        let cred;
        try {
          cred = await navigator.credentials.create({
            publicKey: creationOptions(start.publicKey), mediation: 'conditional', signal: controller.signal,
          });
        } finally {
          clearTimeout(timer);
        }
        if (cred) {
          await api('/register/finish', credentialJSON(cred));
          marker.passkeyUpgrade = 'created';
          return;
        }
      } catch (err) {
        console.warn('rocket_passkeys: no automatic passkey upgrade:', err);
      }
    }
    marker.passkeyUpgrade = 'prompt';
    location.assign(MOUNT + '/enroll?next=' + encodeURIComponent(here));
  }

  function init() {
    // A notice the server rendered (a form that failed) takes focus like our own errors.
    const notice = document.getElementById('passkeys-notice');
    if (notice) notice.focus();
    autoUpgrade();
    revealCapabilities();
    const err = supportError();
    if (err && document.querySelector('[data-passkey-action="register"], [data-passkey-action="authenticate"]')) {
      showError(err);
    } else {
      startAutofill();
    }
    if (account()) {
      signalAccepted();
      signalUserDetails();
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();

  window.rocketPasskeys = Object.freeze({ register, authenticate, signOut, api, mount: MOUNT });
})();
