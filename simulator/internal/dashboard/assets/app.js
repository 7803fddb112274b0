// drsim dashboard: polls one JSON view of the selected account every second
// and renders it with DOM nodes (textContent only: event data is untrusted).
"use strict";
(function () {
  const prefix = document.body.dataset.prefix;
  const api = prefix + "api/";
  let account = "";
  let tab = "overview";
  const open = new Set(); // expanded rows, by key
  let last = null;

  function el(tag, attrs, ...kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") n.className = v;
      else if (k.startsWith("data-")) n.setAttribute(k, v);
      else if (k === "onclick") n.addEventListener("click", v);
      else n.setAttribute(k, v);
    }
    for (const kid of kids.flat()) {
      if (kid === undefined || kid === null) continue;
      n.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return n;
  }
  const $ = (id) => document.getElementById(id);
  const time = (t) => (t ? new Date(t).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : "");
  const json = (v) => JSON.stringify(v, null, 2);
  const money = (v, cur) => (v === undefined ? "" : Number(v).toFixed(2) + " " + (cur || ""));

  // table renders rows; each row may have a detail (shown when its key is open).
  function table(id, head, rows) {
    const t = $(id);
    const body = [el("tr", {}, head.map((h) => el("th", {}, h)))];
    if (rows.length === 0) body.push(el("tr", {}, el("td", { colspan: head.length, class: "hint" }, "nothing yet")));
    for (const r of rows) {
      const tr = el("tr", { class: r.detail ? "row" : "", "data-key": r.key }, r.cells.map((c) => el("td", {}, c)));
      if (r.attrs) for (const [k, v] of Object.entries(r.attrs)) tr.setAttribute(k, v);
      if (r.detail) {
        tr.addEventListener("click", (e) => {
          if (e.target.closest("button, a, input, select")) return;
          open.has(r.key) ? open.delete(r.key) : open.add(r.key);
          render();
        });
      }
      body.push(tr);
      if (r.detail && open.has(r.key)) body.push(el("tr", { class: "detail", "data-detail": r.key }, el("td", { colspan: head.length }, r.detail())));
    }
    t.replaceChildren(...body);
  }

  function eventsAbout(id) {
    if (!last || !id) return [];
    const needle = '"' + id + '"';
    return last.events.filter((e) => JSON.stringify(e.data.object).includes(needle));
  }
  function eventTags(id) {
    return eventsAbout(id).slice().reverse().map((e) => el("span", { class: "tag", title: e.id + " " + time(e.createdTime) }, e.type));
  }
  function status(a) {
    if (a.delivered) return el("span", { class: "ok" }, String(a.status) + " ✓");
    return el("span", { class: "bad" }, (a.status ? String(a.status) : "no answer") + " ✗");
  }

  async function call(method, path, body) {
    const res = await fetch(api + path, {
      method,
      headers: method === "GET" ? {} : { "Content-Type": "application/json", "X-Drsim-Dashboard": "1" },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await res.json();
    if (!res.ok) throw new Error((data.errors && data.errors[0] && data.errors[0].message) || res.status);
    return data;
  }

  function render() {
    const v = last;
    if (!v) return;
    $("clock").textContent = "clock " + time(v.account.clock);
    // A list cut at the latest 200 says "200+" (v.more), not a count it does not have.
    const count = (id, list, more) => {
      $(id).textContent = list.length + (more ? "+" : "");
      $(id).title = more ? "the latest " + list.length + " are shown; there are more" : "";
    };
    const more = v.more || {};
    count("count-events", v.events, more.events);
    count("count-deliveries", v.deliveries, more.deliveries);
    count("count-orders", v.orders, more.orders);
    count("count-subscriptions", v.subscriptions, more.subscriptions);
    count("count-files", v.files, more.files);
    count("count-requests", v.requests, more.requests);

    table("keys", ["account", "secret key", "public key"], [
      { key: "k", cells: [el("code", {}, v.account.id), el("code", { id: "secret-key" }, v.account.secretKey), el("code", {}, v.account.publicKey)] },
    ]);
    table("webhooks", ["address", "enabled", "signing secret", "types", "delivery"], (v.webhooks || []).map((w) => ({
      key: "wh:" + w.id,
      cells: [
        el("code", {}, w.address), w.enabled ? el("span", { class: "ok" }, "enabled") : el("span", { class: "bad" }, "disabled" + (w.disabledReason ? ": " + w.disabledReason : "")),
        el("code", {}, w.secret), String(w.types.length),
        `queued ${w.delivery.queued}, waiting retry ${w.delivery.waitingRetry}, parked ${w.delivery.parked}, held ${w.delivery.held}, failures in a row ${w.delivery.consecutiveFailures}`,
      ],
      detail: () => el("pre", {}, json(w)),
    })));

    table("testclocks", ["test clock", "name", "time", "customers", "status", "advance"], v.testClocks.map((c) => ({
      key: "tc:" + c.id,
      attrs: { "data-id": c.id },
      cells: [el("code", {}, c.id), c.name || "", time(c.frozenTime), String(c.customers), c.status,
        [["1h", "+1 hour"], ["24h", "+1 day"], ["168h", "+7 days"], ["720h", "+30 days"]].map(([d, label]) =>
          el("button", { class: "advance", "data-advance": d, onclick: () => advance(c, d) }, label))],
    })));

    const sel = $("filter-type");
    const chosen = sel.value;
    const types = [...v.eventTypes].sort();
    if (sel.options.length !== types.length + 1) {
      sel.replaceChildren(el("option", { value: "" }, "every type"), ...types.map((t) => el("option", { value: t }, t)));
      sel.value = chosen;
    }
    table("events", ["time", "type", "event id", "about", "webhooks"], v.events.map((e) => ({
      key: "ev:" + e.id,
      attrs: { "data-type": e.type, "data-id": e.id },
      cells: [time(e.createdTime), el("code", {}, e.type), el("code", {}, e.id), el("code", {}, e.data.object.id || ""), (e.webhookIds || []).length],
      detail: () => el("pre", {}, json(e)),
    })));

    table("deliveries", ["sent", "event", "webhook", "attempt", "answer", "latency", "next", ""], v.deliveries.map((a) => ({
      key: "at:" + a.seq,
      attrs: { "data-event-type": a.eventType, "data-event": a.eventId, "data-seq": a.seq, "data-delivered": a.delivered },
      cells: [
        time(a.time), [el("code", {}, a.eventType), el("br"), el("code", { class: "hint" }, a.eventId)], el("code", {}, a.address),
        String(a.attempt) + (a.manual ? " (manual)" : "") + (a.forged ? " forged: " + a.forged : ""),
        status(a), (a.latencyMs || 0).toFixed(1) + " ms",
        a.nextRetryAt ? "retry " + time(a.nextRetryAt) + " (" + a.retryDelay + ")" : a.gaveUp ? "gave up" : a.parked ? "parked" : "",
        el("button", { class: "redeliver", "data-event": a.eventId, "data-webhook": a.webhookId, onclick: () => redeliver(a) }, "Deliver again"),
      ],
      detail: () => el("div", {},
        el("h2", {}, "Request"), el("pre", {}, "POST " + a.address + "\n" + Object.entries(a.headers).map(([k, x]) => k + ": " + x).join("\n")),
        el("pre", {}, a.body ? json(a.body) : "(event no longer retained)"),
        el("h2", {}, "Answer"), el("pre", {}, (a.status || "no answer") + (a.error ? "\n" + a.error : "") + (a.responseExcerpt ? "\n\n" + a.responseExcerpt : ""))),
    })));

    table("orders", ["created", "order", "state", "customer", "total", "events"], v.orders.map((o) => ({
      key: "or:" + o.id,
      attrs: { "data-id": o.id, "data-state": o.state },
      cells: [time(o.createdTime), el("code", {}, o.id), o.state, [el("code", {}, o.customerId), " ", o.email || ""], money(o.totalAmount, o.currency), eventTags(o.id)],
      detail: () => el("pre", {}, json(o)),
    })));
    table("subscriptions", ["created", "subscription", "state", "customer", "plan", "next reminder", "next invoice", "events"], v.subscriptions.map((s) => ({
      key: "su:" + s.id,
      attrs: { "data-id": s.id, "data-state": s.state },
      cells: [time(s.createdTime), el("code", {}, s.id), s.state, el("code", {}, s.customerId), el("code", {}, s.planId || ""), time(s.nextReminderDate), time(s.nextInvoiceDate), eventTags(s.id)],
      detail: () => el("pre", {}, json(s)),
    })));
    table("files", ["created", "file", "purpose", "name", "size"], v.files.map((f) => ({
      key: "fi:" + f.id, cells: [time(f.createdTime), el("code", {}, f.id), f.purpose, f.fileName, f.size + " bytes"], detail: () => el("pre", {}, json(f)),
    })));
    table("filelinks", ["created", "link", "file", "expires", "url"], v.fileLinks.map((l) => ({
      key: "fl:" + l.id,
      cells: [time(l.createdTime), el("code", {}, l.id), el("code", {}, l.fileId), [time(l.expiresTime), l.expired ? el("span", { class: "bad" }, " expired") : ""], el("a", { href: l.url, target: "_blank", rel: "noopener" }, l.url)],
    })));
    table("requests", ["time", "call", "status", "key"], v.requests.map((r, i) => ({
      key: "rq:" + i,
      cells: [time(r.time), el("code", {}, r.method + " " + r.path + (r.query ? "?" + r.query : "")), r.status < 400 ? el("span", { class: "ok" }, String(r.status)) : el("span", { class: "bad" }, String(r.status)), r.publicKey ? "public" : "secret"],
    })));
  }

  async function redeliver(a) {
    try {
      await call("POST", "accounts/" + encodeURIComponent(account) + "/events/" + encodeURIComponent(a.eventId) + "/deliveries", { webhookId: a.webhookId });
    } catch (e) {
      showError("deliver again: " + e.message);
    }
    refresh();
  }

  async function advance(c, d) {
    try {
      const r = await call("POST", "accounts/" + encodeURIComponent(account) + "/test-clocks/" + encodeURIComponent(c.id) + "/advance", { advance: d });
      $("clock-result").textContent = c.id + " now at " + time(r.testClock.frozenTime) + ": " + r.events + " events";
    } catch (e) {
      showError("advance " + c.id + ": " + e.message);
    }
    refresh();
  }

  function showError(msg) {
    $("error").hidden = !msg;
    $("error").textContent = msg || "";
  }

  let inflight = false;
  async function refresh() {
    if (inflight) return;
    inflight = true;
    try {
      const list = await call("GET", "accounts");
      const sel = $("account-select");
      const ids = list.accounts.map((a) => a.id);
      if (sel.options.length !== ids.length || [...sel.options].some((o, i) => o.value !== ids[i])) {
        sel.replaceChildren(...list.accounts.map((a) => el("option", { value: a.id }, a.id + "  " + a.secretKey)));
      }
      $("empty").hidden = ids.length > 0;
      if (!ids.includes(account)) account = location.hash.slice(1) && ids.includes(location.hash.slice(1)) ? location.hash.slice(1) : ids[ids.length - 1] || "";
      sel.value = account;
      if (account) {
        const q = new URLSearchParams({ type: $("filter-type").value, about: $("filter-about").value.trim() });
        last = await call("GET", "accounts/" + encodeURIComponent(account) + "?" + q);
        render();
      }
      $("live").textContent = "live · " + new Date().toLocaleTimeString();
      $("live").classList.remove("stale");
      showError("");
    } catch (e) {
      $("live").textContent = "not updated: " + e.message;
      $("live").classList.add("stale");
    } finally {
      inflight = false;
    }
  }

  $("account-select").addEventListener("change", (e) => { account = e.target.value; location.hash = account; open.clear(); refresh(); });
  $("filter-type").addEventListener("change", refresh);
  $("filter-about").addEventListener("input", refresh);
  for (const b of document.querySelectorAll("#tabs button")) {
    b.addEventListener("click", () => {
      tab = b.dataset.tab;
      for (const x of document.querySelectorAll("#tabs button")) x.classList.toggle("active", x === b);
      for (const s of document.querySelectorAll("main section")) s.hidden = s.id !== "tab-" + tab;
    });
  }
  refresh();
  setInterval(refresh, 1000);
})();
