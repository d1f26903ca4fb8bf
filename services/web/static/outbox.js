// The commune form's outbox: a report sent while the network is down is kept in this browser
// (IndexedDB) and sent again, under the same submission id, when the link returns.
//
// Intake takes a submission id once, so a resend of a report that did arrive is harmless: it
// answers with the first receipt. The deadline counts from that receipt: nothing here is signed
// (docs/adr/0025-web-form-offline.md). Texts come from the page (data-t-*), in its language.
"use strict";

(function () {
  const section = document.getElementById("outbox");
  if (!section || !("indexedDB" in window)) return;
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  }
  const list = document.getElementById("outbox-list");
  const status = document.getElementById("outbox-status");
  const others = document.getElementById("outbox-others");
  const person = section.dataset.person;
  const DB = "baocao-outbox";
  const SEND_PATIENCE_MS = 30000;
  const FIRST_RETRY_MS = 5000;
  const LAST_RETRY_MS = 300000;
  let flushing = false;
  let timer = null;

  // -- the queue, one IndexedDB store keyed by submission id --------------------------------
  function database() {
    return new Promise((resolve, reject) => {
      const opening = indexedDB.open(DB, 1);
      opening.onupgradeneeded = () => {
        opening.result.createObjectStore("reports", { keyPath: "submission_id" });
        // Ids this browser saw receipted: a kept page that still carries one gets a new id.
        opening.result.createObjectStore("used", { keyPath: "id" });
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

  // -- texts and times ------------------------------------------------------------------------
  function text(name, values) {
    let said = section.dataset["t" + name.charAt(0).toUpperCase() + name.slice(1)] || name;
    for (const key in values || {}) said = said.replace("{" + key + "}", values[key]);
    return said;
  }

  // dd/mm/yyyy HH:MM in Vietnam time (UTC+7 all year), whatever the device's own zone.
  function vietnamTime(ms) {
    const t = new Date(ms + 7 * 3600 * 1000);
    const two = (n) => String(n).padStart(2, "0");
    return (
      two(t.getUTCDate()) + "/" + two(t.getUTCMonth() + 1) + "/" + t.getUTCFullYear() + " " +
      two(t.getUTCHours()) + ":" + two(t.getUTCMinutes())
    );
  }

  function say(message) {
    status.textContent = "";
    // A fresh node, so that a screen reader announces the same message twice.
    window.setTimeout(() => (status.textContent = message), 50);
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
    await put({
      submission_id: id,
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
    entry.state = "waiting";
    let response;
    try {
      response = await withPatience(entry.url, {
        method: "POST",
        body: body,
        headers: { "HX-Request": "true", "X-CSRF-Token": csrf },
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

  async function flush(now) {
    if (flushing) return;
    flushing = true;
    try {
      const mine = (await all()).filter(
        (e) => e.person === person && (e.state === "waiting" || e.state === "sign_in")
      );
      const due = mine.filter((e) => now || e.next_try <= Date.now());
      if (!due.length) return;
      let session;
      try {
        const answer = await withPatience("/session", { cache: "no-store" });
        session = answer.status === 401 ? null : await answer.json();
      } catch (error) {
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
    timer = window.setTimeout(() => flush(false), Math.max(1000, next - Date.now()));
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
    const [before, after] = text("filled").split("{time}");
    const stamp = element("time", "", vietnamTime(entry.filled_at));
    stamp.dateTime = new Date(entry.filled_at).toISOString();
    const filled = element("p", "outbox-filled", before);
    filled.append(stamp, after || "");
    li.append(filled);
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
        form.requestSubmit();
      }
    });
  });

  window.addEventListener("online", () => flush(true));
  noteReceipts();
  show().then(() => flush(true));
})();
