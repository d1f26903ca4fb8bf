// The commune form's outbox: a report sent while the network is down is kept in this browser
// (IndexedDB) and sent again, under the same submission id, when the link returns.
//
// Intake takes a submission id once, so a resend of a report that did arrive is harmless: it
// answers with the first receipt. On the clerk's own unit's form this browser holds a signing
// key of its own (WebCrypto Ed25519, not extractable), registered through the session, and
// signs what it keeps, with the time it was signed; the page tells the hub every minute that it
// hears from the device, so that the hub knows when it did not (docs/adr/0025-web-form-offline.md).
// Without a key the report waits unsigned and counts from its receipt. Texts come from the page
// (data-t-*), in its language.
"use strict";

(function () {
  // -- RFC 8785 (JCS): what is signed is the body without its signature, keys sorted by UTF-16
  // code units (sort()'s own order), numbers and strings as JSON.stringify writes them, which
  // is JCS's own serialisation. Checked against shared/signing.py in tests/browser.
  function canonical(value) {
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    if (value !== null && typeof value === "object") {
      const keys = Object.keys(value).sort();
      return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
    }
    return JSON.stringify(value);
  }

  // -- a typed figure read as the web app reads it (services/web/domain/report_form.py): a JSON
  // number, null when blank, undefined when it cannot be read exactly here (the report then
  // waits unsigned, and the web app says what is wrong when it is sent).
  const DIGITS = /^[0-9]+$/;
  function ungrouped(text, mark) {
    const [head, ...groups] = text.split(mark);
    const fine = DIGITS.test(head) && head.length <= 3 && groups.every((g) => g.length === 3 && DIGITS.test(g));
    return fine ? head + groups.join("") : null;
  }
  function plainNumber(text, kind) {
    if (!/^[0-9.,]+$/.test(text)) return null;
    const marks = text.replace(/[0-9]/g, "");
    if (!marks) return text;
    if (new Set(marks).size === 2) {
      const mark = marks[marks.length - 1];
      if (marks.split(mark).length > 2) return null;
      const at = text.lastIndexOf(mark);
      const whole = ungrouped(text.slice(0, at), marks[0]);
      const fraction = text.slice(at + 1);
      return whole !== null && DIGITS.test(fraction) ? whole + "." + fraction : null;
    }
    if (marks.length > 1) return ungrouped(text, marks[0]);
    const [whole, fraction] = text.split(marks[0]);
    if ((marks === "." || kind === "integer") && fraction.length === 3 && whole.length >= 1 && whole.length <= 3) {
      return ungrouped(text, marks[0]);
    }
    return DIGITS.test(whole) && DIGITS.test(fraction) ? whole + "." + fraction : null;
  }
  // A decimal's digits and exponent with no zeros to spare: "0040.250" and "4.025e1" alike.
  function decimalKey(text) {
    const [mantissa, exponent] = text.toLowerCase().split("e");
    const [whole, fraction = ""] = mantissa.replace(/^[-+]/, "").split(".");
    const digits = (whole + fraction).replace(/^0+/, "");
    const kept = digits.replace(/0+$/, "");
    return kept + "e" + (Number(exponent || 0) - fraction.length + digits.length - kept.length);
  }
  function readNumber(typed, kind) {
    let text = String(typed).normalize("NFKC").replace(/[\s\u00a0\u2007\u202f\u2009]+/g, "");
    if (!text) return null;
    let sign = "";
    if (text[0] === "+" || text[0] === "-") {
      sign = text[0] === "-" ? "-" : "";
      text = text.slice(1);
    }
    const plain = plainNumber(text, kind);
    if (plain === null) return undefined;
    const number = Number(sign + plain);
    // A whole figure is a JSON integer (a safe one); a fraction must read back as the very
    // decimal typed (at most about 15 significant digits), and an integer has none.
    if (/^[0-9]*(\.0*)?$/.test(plain)) return Number.isSafeInteger(number) ? number + 0 : undefined;
    if (kind === "integer" || decimalKey(String(number)) !== decimalKey(plain)) return undefined;
    return number;
  }
  window.baocaoSigning = { canonical: canonical, readNumber: readNumber };

  const section = document.getElementById("outbox");
  if (!section || !("indexedDB" in window)) return;
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  }
  const list = document.getElementById("outbox-list");
  const status = document.getElementById("outbox-status");
  const others = document.getElementById("outbox-others");
  const deviceLine = document.getElementById("outbox-device");
  const page = document.getElementById("report-form");
  const pageUnit = page && page.dataset.device === "on" ? page.dataset.unit : "";
  const person = section.dataset.person;
  const DB = "baocao-outbox";
  const SEND_PATIENCE_MS = 30000;
  const FIRST_RETRY_MS = 5000;
  const LAST_RETRY_MS = 300000;
  const PRESENCE_MS = 60000;
  let flushing = false;
  let timer = null;

  // -- the queue, one IndexedDB store keyed by submission id --------------------------------
  let leaving = false; // signing out: the browser's storage is about to be wiped
  function database() {
    return new Promise((resolve, reject) => {
      if (leaving) return reject(new Error("signing out"));
      const opening = indexedDB.open(DB, 2);
      opening.onupgradeneeded = (event) => {
        const db = opening.result;
        if (event.oldVersion < 1) {
          db.createObjectStore("reports", { keyPath: "submission_id" });
          // Ids this browser saw receipted: a kept page that still carries one gets a new id.
          db.createObjectStore("used", { keyPath: "id" });
        }
        // This browser's signing key for each unit: the key pair itself (structured clone; the
        // private key cannot be exported), its id and whether intake has registered it.
        db.createObjectStore("keys", { keyPath: "unit" });
      };
      opening.onsuccess = () => resolve(opening.result);
      opening.onerror = () => reject(opening.error);
    });
  }

  async function store(name, mode, work) {
    const db = await database();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(name, mode);
      const request = work(tx.objectStore(name));
      tx.oncomplete = () => {
        db.close();
        resolve(request ? request.result : undefined);
      };
      tx.onerror = tx.onabort = () => {
        db.close();
        reject(tx.error);
      };
    });
  }

  const all = () => store("reports", "readonly", (s) => s.getAll());
  const put = (entry) => store("reports", "readwrite", (s) => s.put(entry));
  const drop = (id) => store("reports", "readwrite", (s) => s.delete(id));
  const markUsed = (id) => store("used", "readwrite", (s) => s.put({ id: id }));
  const wasUsed = async (id) => Boolean(await store("used", "readonly", (s) => s.get(id)));
  const keyOf = (unit) => store("keys", "readonly", (s) => s.get(unit));
  const putKey = (key) => store("keys", "readwrite", (s) => s.put(key));
  const dropKey = (unit) => store("keys", "readwrite", (s) => s.delete(unit));

  // -- texts and times ------------------------------------------------------------------------
  function text(name, values) {
    let said = section.dataset["t" + name.charAt(0).toUpperCase() + name.slice(1)] || name;
    for (const key in values || {}) said = said.replace("{" + key + "}", values[key]);
    return said;
  }

  const two = (n) => String(n).padStart(2, "0");
  // dd/mm/yyyy HH:MM (or HH:MM dd/mm/yyyy) in Vietnam time (UTC+7 all year), whatever the
  // device's own zone.
  function vietnamTime(ms, timeFirst) {
    const t = new Date(ms + 7 * 3600 * 1000);
    const day = two(t.getUTCDate()) + "/" + two(t.getUTCMonth() + 1) + "/" + t.getUTCFullYear();
    const time = two(t.getUTCHours()) + ":" + two(t.getUTCMinutes());
    return timeFirst ? time + " " + day : day + " " + time;
  }

  // Now by the device's clock, ISO 8601 with the device's offset: what signed_at claims.
  function deviceNow() {
    const now = new Date();
    const offset = -now.getTimezoneOffset();
    const local = new Date(now.getTime() + offset * 60000).toISOString().slice(0, 23);
    const sign = offset < 0 ? "-" : "+";
    return local + sign + two(Math.floor(Math.abs(offset) / 60)) + ":" + two(Math.abs(offset) % 60);
  }

  const base64url = (buffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

  function say(message) {
    status.textContent = "";
    // A fresh node, so that a screen reader announces the same message twice.
    window.setTimeout(() => (status.textContent = message), 50);
  }

  // -- this device's key: made once per browser and unit, registered through the session ------
  async function post(url, csrf, document) {
    const answer = await withPatience(url, {
      method: "POST",
      body: JSON.stringify(document),
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    });
    const said = await answer.text(); // read to its end, so the request is over
    let body = {};
    try {
      body = JSON.parse(said || "{}");
    } catch (error) {
      // not JSON: the status says enough
    }
    return { ok: answer.ok, status: answer.status, body: body };
  }

  async function makeKey() {
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    const raw = await crypto.subtle.exportKey("raw", pair.publicKey);
    const id = crypto.getRandomValues(new Uint8Array(16)); // 22 base64url characters
    const key = {
      unit: pageUnit,
      key_id: "web-" + base64url(id),
      public_key: base64url(raw),
      privateKey: pair.privateKey,
      publicKey: pair.publicKey,
      registered: false,
    };
    await putKey(key);
    return key;
  }

  // The registered key of the page's unit, made and registered first if need be; null when
  // there is none (an old browser, or intake would not): reports then wait unsigned. One at a
  // time, so that a load and an "online" together make one key.
  let keying = null;
  function registeredKey(session) {
    keying = keying || ensureKey(session).finally(() => (keying = null));
    return keying;
  }

  async function ensureKey(session) {
    if (!pageUnit || session.unit !== pageUnit) return null;
    try {
      const key = (await keyOf(pageUnit)) || (await makeKey());
      if (!key.registered) {
        const answer = await post("/device", session.csrf, { key_id: key.key_id, public_key: key.public_key });
        if (answer.status === 409) await dropKey(pageUnit); // taken: a new key next time
        if (!answer.ok) return null;
        key.registered = true;
        key.valid_from = Date.parse(answer.body.valid_from) || 0; // by the hub's clock
        await putKey(key);
      }
      deviceLine.textContent = text("device", { key: key.key_id });
      deviceLine.hidden = false;
      return key;
    } catch (error) {
      return null;
    }
  }

  // The hub hears from this device: first whenever the link returns, then every minute.
  async function presence(session) {
    const key = await registeredKey(session);
    if (!key) return;
    try {
      const answer = await post("/device/seen", session.csrf, { key_id: key.key_id });
      if (answer.status === 404) {
        key.registered = false; // intake does not know it: registered again next time
        await putKey(key);
      }
    } catch (error) {
      // no link: the silence is what the hub records
    }
  }

  // The body the web app would send for this form, signed by this device; null when it
  // cannot be (no registered key, or a figure read otherwise than the web app would).
  async function signed(form, data, id) {
    if (!pageUnit || form.dataset.unit !== pageUnit) return null;
    try {
      const key = await keyOf(pageUnit);
      // A device clock behind the hub's would claim a time before the key was valid.
      if (!key || !key.registered || Date.now() < (key.valid_from || 0)) return null;
      const values = {};
      for (const input of form.querySelectorAll("input[data-type]")) {
        const number = readNumber(data.get(input.name) || "", input.dataset.type);
        if (number === undefined) return null;
        if (number !== null) values[input.name.slice(2)] = number;
      }
      const body = {
        submission_id: id,
        report_type: form.dataset.reportType,
        period: form.dataset.period,
        unit: form.dataset.unit,
        values: values,
        signed_at: deviceNow(),
      };
      const bytes = new TextEncoder().encode(canonical(body));
      const signature = await crypto.subtle.sign({ name: "Ed25519" }, key.privateKey, bytes);
      body.signature = { key_id: key.key_id, alg: "Ed25519", value: base64url(signature) };
      return { body: JSON.stringify(body), signed_at: body.signed_at, key_id: key.key_id };
    } catch (error) {
      return null;
    }
  }

  // -- keeping a report the network refused to carry ------------------------------------------
  async function keep(form, data) {
    const fields = [];
    let id = String(data.get("submission_id") || "");
    if (!id || (await wasUsed(id))) {
      id = crypto.randomUUID();
      form.querySelectorAll('input[name="submission_id"]').forEach((i) => (i.value = id));
    }
    for (const [name, value] of data.entries()) {
      if (name === "csrf" || typeof value !== "string") continue;
      fields.push([name, name === "submission_id" ? id : value]);
    }
    // Pressed again while waiting, it replaces the waiting copy: one report, the last values.
    const signing = await signed(form, data, id);
    await put({
      submission_id: id,
      body: signing ? signing.body : null, // the exact bytes signed, sent as they are
      signed_at: signing ? signing.signed_at : null,
      key_id: signing ? signing.key_id : null,
      signed_url: form.dataset.submitSigned || "",
      person: person,
      unit: form.dataset.unit,
      report_type: form.dataset.reportType,
      period: form.dataset.period,
      title: form.dataset.title,
      url: form.dataset.submit,
      fields: fields,
      filled_at: Date.now(), // the browser's clock: shown as such, never as the official time
      state: "waiting",
      tries: 0,
      next_try: 0,
    });
    await show();
    say(text("queued"));
    document.getElementById("outbox-title").focus();
  }

  function isSubmit(detail) {
    const config = detail.requestConfig || {};
    return String(config.path || "").endsWith("/submit") && config.elt && config.elt.form;
  }

  // Returns whether the request was the form's: sent (kept), or checked (said it cannot be).
  function offline(detail) {
    const config = detail.requestConfig || {};
    if (isSubmit(detail)) keep(config.elt.form, config.formData);
    else if (config.elt && config.elt.closest("#report-form, .csv-upload")) say(text("offlineAction"));
    else return false;
    return true;
  }

  document.body.addEventListener("htmx:beforeRequest", (event) => {
    // No link at all: keep the report at once rather than wait for an error.
    if (!navigator.onLine && offline(event.detail)) event.preventDefault();
  });

  function failed(event) {
    offline(event.detail);
  }
  document.body.addEventListener("htmx:sendError", failed);
  document.body.addEventListener("htmx:timeout", failed);

  // A receipt on screen: that id is spent, even on a copy of the form kept from before.
  function noteReceipts() {
    document.querySelectorAll("#commune-receipt-id").forEach((code) => {
      const id = code.textContent.trim();
      if (id) markUsed(id);
    });
  }
  document.body.addEventListener("htmx:afterSwap", noteReceipts);

  // -- sending what waits ---------------------------------------------------------------------
  async function withPatience(url, options) {
    const stop = new AbortController();
    const clock = window.setTimeout(() => stop.abort(), SEND_PATIENCE_MS);
    try {
      return await fetch(url, Object.assign({ signal: stop.signal, credentials: "same-origin" }, options));
    } finally {
      window.clearTimeout(clock);
    }
  }

  function backoff(entry) {
    entry.tries += 1;
    const wait = Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** (entry.tries - 1));
    entry.next_try = Date.now() + wait * (0.75 + Math.random() / 2);
  }

  function read(html) {
    const page = new DOMParser().parseFromString(html, "text/html");
    const receipt = page.getElementById("commune-receipt-id");
    if (receipt) {
      const time = page.getElementById("commune-receipt-time");
      return { id: receipt.textContent.trim(), time: time ? time.textContent.trim() : "" };
    }
    const reasons = Array.from(page.querySelectorAll("#commune-errors li, .alert p:not(.muted)"))
      .map((li) => li.textContent.replace(/\s+/g, " ").trim())
      .filter(Boolean);
    return { reasons: reasons.length ? reasons : [text("refusedUnknown")] };
  }

  async function send(entry, csrf) {
    const body = new URLSearchParams(entry.fields);
    body.set("csrf", csrf);
    const headers = { "HX-Request": "true", "X-CSRF-Token": csrf };
    if (entry.body) headers["Content-Type"] = "application/json";
    entry.state = "waiting";
    let response;
    try {
      response = await withPatience(entry.body ? entry.signed_url : entry.url, {
        method: "POST",
        body: entry.body || body,
        headers: headers,
      });
    } catch (error) {
      backoff(entry); // the link dropped again (or crawls): try later, same id
      await put(entry);
      return false;
    }
    if (response.status === 401) {
      entry.state = "sign_in";
    } else if (response.status >= 500 || response.status === 429) {
      backoff(entry);
      await put(entry);
      return false;
    } else {
      const answer = read(await response.text());
      if (answer.id) {
        entry.state = "sent";
        entry.receipt = answer;
        entry.receipt_url = response.headers.get("HX-Push-Url") || "";
      } else {
        entry.state = "refused";
        entry.reasons = answer.reasons;
      }
      await markUsed(entry.submission_id);
    }
    await put(entry);
    return true;
  }

  // The session (null once it has ended; undefined with no link), then the device's presence,
  // then what waits: the hub hears from the device before its signed reports arrive.
  async function wake(now) {
    let session;
    try {
      const answer = await withPatience("/session", { cache: "no-store" });
      session = answer.status === 401 ? null : await answer.json();
    } catch (error) {
      session = undefined;
    }
    if (session && session.person === person) await presence(session);
    await flush(now, session);
  }

  async function flush(now, session) {
    if (flushing) return;
    flushing = true;
    try {
      const mine = (await all()).filter(
        (e) => e.person === person && (e.state === "waiting" || e.state === "sign_in")
      );
      const due = mine.filter((e) => now || e.next_try <= Date.now());
      if (!due.length) return;
      if (session === undefined) {
        for (const entry of due) backoff(entry);
        await Promise.all(due.map(put));
        return;
      }
      if (!session || session.person !== person) {
        for (const entry of due) entry.state = "sign_in";
        await Promise.all(due.map(put));
        return;
      }
      let sent = 0;
      for (const entry of due) {
        if (!(await send(entry, session.csrf))) break; // the link is down: the rest waits too
        if (entry.state === "sent") sent += 1;
      }
      if (sent) say(text("sentCount", { count: sent }));
    } finally {
      flushing = false;
      await show();
      plan();
    }
  }

  async function plan() {
    window.clearTimeout(timer);
    const waiting = (await all()).filter((e) => e.person === person && e.state === "waiting");
    if (!waiting.length) return;
    const next = Math.min(...waiting.map((e) => e.next_try || 0));
    timer = window.setTimeout(() => wake(false), Math.max(1000, next - Date.now()));
  }

  // -- the list on the page -------------------------------------------------------------------
  function element(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content) node.textContent = content;
    return node;
  }

  function button(label, action) {
    const b = element("button", "link", label);
    b.type = "button";
    b.addEventListener("click", action);
    return b;
  }

  function refill(entry) {
    const form = document.getElementById("report-form");
    if (!form || form.dataset.submit !== entry.url) return null;
    return button(text("refill"), async () => {
      for (const [name, value] of entry.fields) {
        if (name === "submission_id") continue; // the refused id stays spent
        const input = form.querySelector('[name="' + CSS.escape(name) + '"]');
        if (input) input.value = value;
      }
      await drop(entry.submission_id);
      await show();
      form.querySelector("input:not([type=hidden]), textarea").focus();
    });
  }

  // Each state's badge (a colour the stylesheet already has) and its text.
  const STATES = {
    waiting: ["received", "stateWaiting"],
    sign_in: ["late", "stateSignIn"],
    sent: ["accepted", "stateSent"],
    refused: ["rejected", "stateRefused"],
  };

  function item(entry) {
    const li = element("li", "outbox-item");
    li.dataset.submission = entry.submission_id;
    li.dataset.state = entry.state;
    const head = element("p");
    const look = STATES[entry.state];
    head.append(element("strong", "", entry.title + " · " + entry.unit), " ");
    head.append(element("span", "badge " + look[0], text(look[1])));
    li.append(head);
    const at = entry.signed_at ? Date.parse(entry.signed_at) : entry.filled_at;
    const [before, after] = text(entry.signed_at ? "signed" : "filled").split("{time}");
    const stamp = element("time", "", vietnamTime(at, Boolean(entry.signed_at)));
    stamp.dateTime = entry.signed_at || new Date(at).toISOString();
    const filled = element("p", entry.signed_at ? "outbox-filled outbox-signed" : "outbox-filled", before);
    filled.append(stamp, after || "");
    li.append(filled);
    if (!entry.signed_at && entry.state !== "sent") li.append(element("p", "muted", text("unsigned")));
    if (entry.state === "sign_in") {
      const p = element("p", "", text("signInNeeded") + " ");
      const a = element("a", "", text("signIn"));
      a.href = section.dataset.signIn;
      p.append(a);
      li.append(p);
    }
    if (entry.state === "sent") {
      const p = element("p", "outbox-receipt", text("received", { time: entry.receipt.time }) + " ");
      p.append(element("span", "", text("receiptId") + " "), element("code", "", entry.receipt.id));
      li.append(p);
    }
    if (entry.state === "refused") {
      const ul = element("ul", "outbox-reasons");
      for (const reason of entry.reasons || []) ul.append(element("li", "", reason));
      li.append(ul);
    }
    const actions = element("p", "actions");
    if (entry.state === "sent" && entry.receipt_url) {
      const a = element("a", "", text("receiptLink"));
      a.href = entry.receipt_url;
      actions.append(a);
    }
    if (entry.state === "refused") {
      const again = refill(entry);
      if (again) actions.append(again);
    }
    const settled = entry.state === "sent" || entry.state === "refused";
    actions.append(
      button(settled ? text("hide") : text("discard"), async () => {
        if (!settled && !window.confirm(text("discardConfirm"))) return;
        await drop(entry.submission_id);
        await show();
      })
    );
    li.append(actions);
    return li;
  }

  async function show() {
    const entries = await all();
    const mine = entries.filter((e) => e.person === person).sort((a, b) => a.filled_at - b.filled_at);
    const theirs = entries.filter((e) => e.person !== person && e.state !== "sent").length;
    list.replaceChildren(...mine.map(item));
    others.textContent = theirs ? text("others", { count: theirs }) : "";
    others.hidden = !theirs;
    section.hidden = !mine.length && !theirs;
  }

  // Signing out wipes the queue (Clear-Site-Data): say so first if something still waits.
  document.querySelectorAll('form[action="/sign-out"]').forEach((form) => {
    form.addEventListener("submit", async (event) => {
      if (form.dataset.confirmed) return;
      event.preventDefault();
      const waiting = (await all()).filter((e) => e.person === person && e.state !== "sent" && e.state !== "refused");
      if (!waiting.length || window.confirm(text("signOutConfirm", { count: waiting.length }))) {
        form.dataset.confirmed = "1";
        leaving = true; // nothing may write it again before the wipe
        window.clearTimeout(timer);
        form.requestSubmit();
      }
    });
  });

  window.addEventListener("online", () => wake(true));
  window.setInterval(() => navigator.onLine && wake(false), PRESENCE_MS);
  noteReceipts();
  show().then(() => wake(true));
})();
