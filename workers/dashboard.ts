// The operator and user dashboard at /: one HTML page with a little inline CSS and script, no build
// step. Everything it shows comes from the public APIs (/api/v1/status, /api/v1/search), so what
// the page says is what those say; charts are inline SVG drawn from the per-minute rates.

import { Hono } from "hono";
import { sha256, toBase64, utf8 } from "../src/encoding/bytes.ts";
import type { AppEnv } from "./http.ts";

export const dashboard = new Hono<AppEnv>();

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>TrustChain status</title>
<style>
  :root { color-scheme: light; --fg: #111; --muted: #444; --line: #bbb; --accent: #0b4f9c; --ok: #0a6b2c; --bad: #a40e0e; --warn: #7a4a00; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--fg); background: #fff; }
  header, main, footer { max-width: 72rem; margin: 0 auto; padding: 1rem; }
  header { border-bottom: 2px solid var(--accent); display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; }
  header h1 { margin: 0; font-size: 1.5rem; }
  nav a { margin-right: 1rem; }
  a { color: var(--accent); }
  a:focus, button:focus, input:focus { outline: 3px solid #f2a900; outline-offset: 2px; }
  section { margin: 1.5rem 0; }
  h2 { font-size: 1.2rem; border-bottom: 1px solid var(--line); }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1rem; }
  .card { border: 1px solid var(--line); border-radius: 6px; padding: 0.75rem 1rem; }
  .card h3 { margin: 0 0 0.5rem; font-size: 1rem; }
  .ok { color: var(--ok); font-weight: 600; } .bad { color: var(--bad); font-weight: 600; } .warn { color: var(--warn); font-weight: 600; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 0.75rem; margin: 0; }
  dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
  table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
  th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
  td code { overflow-wrap: anywhere; }
  form { display: flex; gap: 0.5rem; flex-wrap: wrap; align-items: end; }
  label { display: block; font-weight: 600; }
  #q-hint { display: block; color: #4a4a4a; font-size: 0.85rem; }
  input[type=search] { font: inherit; padding: 0.4rem; min-width: 22rem; max-width: 100%; border: 1px solid #555; border-radius: 4px; }
  button { font: inherit; padding: 0.4rem 1rem; background: var(--accent); color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
  svg { width: 100%; height: auto; border: 1px solid var(--line); }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  footer { color: var(--muted); font-size: 0.9rem; border-top: 1px solid var(--line); }
</style>
</head>
<body>
<header>
  <h1>TrustChain</h1>
  <nav aria-label="Sections"><a href="#status">Status</a><a href="#search">Certificate search</a><a href="#recent">Recent issuances</a><a href="#rates">Rates</a></nav>
</header>
<main>
  <noscript><p>This page needs JavaScript to load its data; the same data is at <a href="/api/v1/status">/api/v1/status</a>.</p></noscript>
  <section id="status" aria-labelledby="status-h">
    <h2 id="status-h">Status</h2>
    <div class="cards">
      <div class="card" aria-labelledby="ca-h"><h3 id="ca-h">Certificate authority</h3><div id="ca">Loading…</div></div>
      <div class="card" aria-labelledby="log-h"><h3 id="log-h">Certificate Transparency log</h3><div id="log">Loading…</div></div>
      <div class="card" aria-labelledby="val-h"><h3 id="val-h">Validators</h3><div id="validators">Loading…</div></div>
    </div>
  </section>
  <section id="search" aria-labelledby="search-h">
    <h2 id="search-h">Certificate search</h2>
    <form id="search-form" role="search" action="/api/v1/search" method="get">
      <div><label for="q">Name, serial number or SHA-256 fingerprint</label>
      <input id="q" name="q" type="search" required maxlength="300" autocomplete="off" spellcheck="false" aria-describedby="q-hint"><small id="q-hint">for example www.example.com, 2001:db8::1, a hex serial or a certificate fingerprint</small></div>
      <button type="submit">Search</button>
    </form>
    <div id="results" aria-live="polite"></div>
  </section>
  <section id="recent" aria-labelledby="recent-h">
    <h2 id="recent-h">Recent issuances</h2>
    <div id="recent-list">Loading…</div>
  </section>
  <section id="rates" aria-labelledby="rates-h">
    <h2 id="rates-h">Rates over the last hour (per minute)</h2>
    <div class="cards">
      <figure class="card"><figcaption id="iss-cap">Certificate issuance attempts</figcaption><div id="chart-issuances"></div></figure>
      <figure class="card"><figcaption id="doh-cap">DNS-over-HTTPS queries</figcaption><div id="chart-doh"></div></figure>
    </div>
  </section>
</main>
<footer><p>Data: <a href="/api/v1/status">/api/v1/status</a> · <a href="/metrics">/metrics</a> · <a href="/health">/health</a> · <a href="/api/v1/openapi.json">OpenAPI</a></p></footer>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const state = (ok, text) => '<span class="' + (ok ? "ok" : "bad") + '">' + esc(text) + "</span>";
function caText(c) { return esc(c.subject) + "<br>valid until " + esc(c.not_after.slice(0, 10)); }
function retiredText(list) { return list.length ? list.map((c) => caText(c) + " (still answers OCSP and CRLs)").join("<br>") : "none"; }
function dl(rows) { return "<dl>" + rows.map(([k, v]) => "<dt>" + esc(k) + "</dt><dd>" + v + "</dd>").join("") + "</dl>"; }
function ctText(ct) {
  const one = (label, s) => label + ": " + (s === "included" ? '<span class="ok">included</span>' : s === "pending" ? '<span class="warn">sequenced, not yet in a checkpoint</span>' : '<span class="bad">not logged</span>');
  return one("precertificate", ct.precertificate) + "<br>" + one("certificate", ct.certificate);
}
function certTable(certs, caption) {
  if (!certs.length) return "<p>No certificates found.</p>";
  return "<table><caption class=\\"sr-only\\">" + esc(caption) + "</caption><thead><tr><th scope=col>Names</th><th scope=col>Serial</th><th scope=col>SHA-256 fingerprint</th><th scope=col>Validity</th><th scope=col>Status</th><th scope=col>CT inclusion</th></tr></thead><tbody>" +
    certs.map((c) => "<tr><td>" + c.names.map(esc).join("<br>") + "</td><td><code>" + esc(c.serial) + "</code></td><td><code>" + esc(c.fingerprint_sha256) + "</code></td><td>" + esc(c.not_before.slice(0, 16).replace("T", " ")) + " –<br>" + esc(c.not_after.slice(0, 16).replace("T", " ")) + "</td><td>" + state(c.status === "valid", c.status) + "</td><td>" + ctText(c.ct_inclusion) + "</td></tr>").join("") + "</tbody></table>";
}
function chart(el, values, labelId) {
  const w = 600, h = 120, max = Math.max(1, ...values), bw = w / values.length;
  const bars = values.map((v, i) => '<rect x="' + (i * bw + 1).toFixed(1) + '" y="' + (h - (v / max) * (h - 10)).toFixed(1) + '" width="' + (bw - 2).toFixed(1) + '" height="' + ((v / max) * (h - 10)).toFixed(1) + '" fill="#0b4f9c"><title>' + v + "</title></rect>").join("");
  const total = values.reduce((a, b) => a + b, 0);
  el.innerHTML = '<svg viewBox="0 0 ' + w + " " + h + '" role="img" aria-labelledby="' + labelId + '" aria-describedby="' + labelId + '-d">' + bars + '<line x1="0" y1="' + h + '" x2="' + w + '" y2="' + h + '" stroke="#444"/></svg><p id="' + labelId + '-d">' + total + " in the last hour; peak " + Math.max(0, ...values) + " per minute.</p>";
}
async function loadStatus() {
  const r = await fetch("/api/v1/status");
  const s = await r.json();
  $("ca").innerHTML = s.ca.status === "ok"
    ? dl([["State", state(true, "signing")], ["Issuing CA", caText(s.ca.issuing)], ["Retired issuing CAs", retiredText(s.ca.retired)], ["Root", esc(s.ca.root.subject)],
        ["ML-DSA issuing CA", caText(s.ca.pq.issuing)], ["ML-DSA retired", retiredText(s.ca.pq.retired)], ["ML-DSA root", esc(s.ca.pq.root.subject)]])
    : dl([["State", state(false, "unavailable")], ["Why", esc(s.ca.detail)]]);
  $("log").innerHTML = s.log.status === "ok"
    ? dl([["State", state(true, "accepting")], ["Origin", esc(s.log.origin)], ["Tree size", esc(s.log.tree_size ?? "no checkpoint yet")], ["Checkpoint", s.log.checkpoint_published ? '<a href="' + esc(s.log.checkpoint_url) + '">' + esc(s.log.checkpoint_published) + "</a>" : "not published"]])
    : dl([["State", state(false, "unavailable")], ["Why", esc(s.log.detail)]]);
  $("validators").innerHTML = s.validators.configured
    ? "<ul>" + s.validators.validators.map((v) => "<li>" + esc(v.validator) + ": " + (v.quarantined ? state(false, "quarantined") : !v.healthy ? state(false, "not answering") : v.suspended ? state(false, "suspended (maintenance)") : state(true, "healthy")) + "</li>").join("") + "</ul>"
    : "<p>Not configured: this deployment reports no consensus validators.</p>";
  $("recent-list").innerHTML = certTable(s.recent_issuances, "Recent issuances");
  chart($("chart-issuances"), s.rates.issuances_per_minute, "iss-cap");
  chart($("chart-doh"), s.rates.doh_queries_per_minute, "doh-cap");
}
$("search-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const q = $("q").value.trim();
  $("results").textContent = "Searching…";
  const r = await fetch("/api/v1/search?q=" + encodeURIComponent(q));
  const body = await r.json();
  $("results").innerHTML = r.ok ? "<p>" + body.certificates.length + " result(s) for <strong>" + esc(q) + "</strong>.</p>" + certTable(body.certificates, "Search results") : '<p class="bad">' + esc(body.detail) + "</p>";
});
loadStatus().catch((e) => { $("ca").textContent = "Could not load status: " + e; });
setInterval(() => loadStatus().catch(() => {}), 30000);
</script>
</body>
</html>
`;

/** CSP source for an inline element's exact text (CSP3 hash-source). */
async function hashSource(text: string): Promise<string> {
  return `'sha256-${toBase64(await sha256(utf8(text)))}'`;
}

const inline = (tag: string): string => PAGE.slice(PAGE.indexOf(`<${tag}>`) + tag.length + 2, PAGE.indexOf(`</${tag}>`));

let csp: Promise<string> | null = null;

/** Only the page's own inline script and style run; nothing else loads, frames it or posts from it. */
function contentSecurityPolicy(): Promise<string> {
  csp ??= Promise.all([hashSource(inline("script")), hashSource(inline("style"))]).then(
    ([script, style]) =>
      `default-src 'none'; script-src ${script}; style-src ${style}; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`,
  );
  return csp;
}

dashboard.get("/", async (c) => c.html(PAGE, 200, { "cache-control": "no-cache", "content-security-policy": await contentSecurityPolicy() }));
