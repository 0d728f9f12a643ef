// The back office's page: one document, four views chosen by the address's
// fragment (#accounts, #cards, #submissions, #charts). The login form sends
// the token once; the server answers with an HttpOnly cookie (never seen
// here) and the session's CSRF token, which every POST carries in
// X-CSRF-Token. Lists come from the JSON API (/v1/...) page by page, with
// its cursors; the charts from /api/events (Server-Sent Events, one sample
// a second, the last two minutes first: no polling).
"use strict";

const VIEWS = ["accounts", "cards", "submissions", "charts"];
const PAGE = 20;
let csrf = null;
let events = null;
let samples = [];
let account = null;        // the account whose transfers are shown

function $(id) { return document.getElementById(id); }

function status(text, bad) {
	const p = $("status");
	p.textContent = text;
	p.className = bad ? "note status-bad" : "note";
}

class HttpError extends Error {
	constructor(code, message) { super(message); this.code = code; }
}

// JSON from the server; every error it sends is {"error": {"status", "message"}}.
async function api(path, method, body) {
	const opts = { method: method || "GET", headers: {}, credentials: "same-origin" };
	if (opts.method === "POST") {
		opts.headers["Content-Type"] = "application/json";
		if (csrf) opts.headers["X-CSRF-Token"] = csrf;
		opts.body = JSON.stringify(body || {});
	}
	const r = await fetch(path, opts);
	let data = null;
	try { data = await r.json(); } catch (e) { data = null; }
	if (!r.ok) {
		const msg = data && data.error ? data.error.message : r.statusText;
		throw new HttpError(r.status, msg);
	}
	return data;
}

function cell(text, cls) {
	const td = document.createElement("td");
	td.textContent = text === null || text === undefined ? "—" : String(text);
	if (cls) td.className = cls;
	return td;
}

function when(t) { return t ? t.replace("T", " ").replace(/\.\d+Z$/, "") : "—"; }

// A listing's rows appended (more) or replacing the table's, and its
// "more" button kept for the next cursor.
async function fill(table, url, key, row, more, append) {
	const body = $(table).tBodies[0];
	const data = await api(url);
	const rows = data[key].map(row);
	if (append) body.append(...rows); else body.replaceChildren(...rows);
	const b = $(more);
	b.hidden = !data.next;
	b.onclick = () => run(() => fill(table, addCursor(url, data.next), key, row, more, true));
	$(table).dataset.loaded = "yes";
}

function addCursor(url, next) {
	const u = new URL(url, location.origin);
	u.searchParams.set("after", next);
	u.searchParams.delete("before");
	return u.pathname + u.search;
}

function accountRow(a) {
	const tr = document.createElement("tr");
	tr.dataset.account = a.id;
	if (a.id === account) tr.className = "selected";
	const td = document.createElement("td");
	const b = document.createElement("button");
	b.type = "button";
	b.className = "link";
	b.textContent = a.id;
	b.setAttribute("aria-label", "Transfers of " + a.id);
	b.onclick = () => run(() => showTransfers(a.id));
	td.append(b);
	tr.append(td, cell(a.balance.text, "num balance"), cell(a.issuer ? "issuer" : "customer"));
	return tr;
}

function transferRow(t) {
	const tr = document.createElement("tr");
	tr.dataset.transfer = t.id;
	tr.append(cell(t.id, "num"), cell(when(t.created)), cell(t.payer), cell(t.payee),
		cell(t.amount.text, "num"), cell(t.card_id ? t.card_id + ", " + t.atc : "—", "id"));
	return tr;
}

async function showTransfers(id) {
	account = id;
	for (const tr of $("accounts").tBodies[0].rows)
		tr.className = tr.dataset.account === id ? "selected" : "";
	$("transfers-title").textContent = "Transfers of " + id;
	$("transfers").dataset.loaded = "no";
	await fill("transfers", "/v1/accounts/" + encodeURIComponent(id) + "/transfers?limit=" + PAGE,
		"transfers", transferRow, "transfers-more");
}

async function showAccounts() {
	$("accounts").dataset.loaded = "no";
	await fill("accounts", "/v1/accounts?limit=" + PAGE, "accounts", accountRow, "accounts-more");
	if (account) await showTransfers(account);
}

function cardRow(c) {
	const tr = document.createElement("tr");
	tr.dataset.card = c.card_id;
	tr.dataset.status = c.status;
	const td = document.createElement("td");
	if (c.status === "active" || c.status === "blocked") {
		const block = c.status === "active";
		const b = document.createElement("button");
		b.type = "button";
		b.className = block ? "danger" : "go";
		b.textContent = block ? "Block" : "Unblock";
		b.setAttribute("aria-label", (block ? "Block card " : "Unblock card ") + c.card_id);
		b.onclick = () => run(async () => {
			b.disabled = true;
			const r = await api("/api/cards/" + c.card_id + "/" + (block ? "block" : "unblock"), "POST");
			status("Card " + r.card_id + " is " + r.status + ".");
			await showCards();
			const again = document.querySelector("#cards tr[data-card='" + c.card_id + "'] button");
			if (again) again.focus();
		});
		td.append(b);
	}
	tr.append(cell(c.card_id, "id"), cell(c.account), cell(c.status, "card-status"),
		cell(c.last_atc < 0 ? null : c.last_atc, "num atc"),
		cell(c.last_receipt_counter, "num receipt"), cell(c.jp_failures, "num failures"), td);
	return tr;
}

async function showCards() {
	$("cards").dataset.loaded = "no";
	await fill("cards", "/v1/cards?limit=" + PAGE, "cards", cardRow, "cards-more");
}

function submissionRow(s) {
	const tr = document.createElement("tr");
	tr.dataset.result = s.result;
	tr.append(cell(s.id, "num"), cell(when(s.at)), cell(s.result, s.result === "OK" ? "status-ok" : "status-bad"),
		cell(s.peer), cell(s.detail));
	return tr;
}

async function showSubmissions() {
	$("submissions").dataset.loaded = "no";
	await fill("submissions", "/v1/submissions?limit=" + PAGE, "submissions", submissionRow,
		"submissions-more");
}

// ---- Charts: our own SVG, redrawn on every sample.
const SVGNS = "http://www.w3.org/2000/svg";
const W = 600, H = 200, LEFT = 44, BOTTOM = 20, SPAN_MS = 120000;

function svg(name, attrs, text) {
	const e = document.createElementNS(SVGNS, name);
	for (const k in attrs) e.setAttribute(k, attrs[k]);
	if (text !== undefined) e.textContent = text;
	return e;
}

// series: [{name, points: [[t_ms, value|null]]}]
function drawChart(id, legendId, series, unit) {
	const el = $(id);
	const now = samples.length ? samples[samples.length - 1].t_ms : Date.now();
	let max = 0;
	for (const s of series) for (const p of s.points) if (p[1] !== null && p[1] > max) max = p[1];
	const top = max > 0 ? max * 1.1 : 1;
	const x = (t) => LEFT + (W - LEFT - 4) * (1 - (now - t) / SPAN_MS);
	const y = (v) => H - BOTTOM - (H - BOTTOM - 6) * (v / top);
	const parts = [svg("desc", {}, el.querySelector("desc").textContent),
		svg("line", { class: "axis", x1: LEFT, y1: H - BOTTOM, x2: W, y2: H - BOTTOM }),
		svg("line", { class: "axis", x1: LEFT, y1: 0, x2: LEFT, y2: H - BOTTOM }),
		svg("text", { x: 2, y: 12 }, (Math.round(top * 100) / 100) + unit),
		svg("text", { x: 2, y: H - BOTTOM }, "0"),
		svg("text", { x: LEFT, y: H - 4 }, "−2 min"),
		svg("text", { x: W - 30, y: H - 4 }, "now")];
	const legend = [];
	series.forEach((s, i) => {
		const pts = s.points.filter((p) => p[1] !== null && now - p[0] <= SPAN_MS)
			.map((p) => x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1));
		if (pts.length) parts.push(svg("polyline", { class: "c" + (i % 6), points: pts.join(" ") }));
		const li = document.createElement("li");
		const sw = document.createElement("span");
		sw.className = "swatch c" + (i % 6);
		li.append(sw, s.name);
		legend.push(li);
	});
	el.replaceChildren(...parts);
	$(legendId).replaceChildren(...legend);
}

function drawCharts() {
	const names = [];
	let total = 0;
	for (const s of samples)
		for (const k in s.results) {
			if (!names.includes(k)) names.push(k);
			total += s.results[k];
		}
	if (!names.length) names.push("OK");
	names.sort((a, b) => (a === "OK" ? -1 : b === "OK" ? 1 : a.localeCompare(b)));
	drawChart("chart-rate", "legend-rate", names.map((n) => ({
		name: n, points: samples.map((s) => [s.t_ms, s.results[n] || 0]),
	})), "/s");
	const ms = (v) => (v === null ? null : v / 1000);
	drawChart("chart-latency", "legend-latency", [
		{ name: "verify", points: samples.map((s) => [s.t_ms, ms(s.verify_us)]) },
		{ name: "commit", points: samples.map((s) => [s.t_ms, ms(s.commit_us)]) },
	], " ms");
	const c = $("chart-rate");
	c.dataset.total = String(total);
	c.dataset.samples = String(samples.length);
}

function openEvents() {
	if (events) return;
	events = new EventSource("/api/events");
	events.addEventListener("history", (e) => {
		samples = JSON.parse(e.data);
		$("chart-link").textContent = "Live: a sample a second.";
		drawCharts();
	});
	events.addEventListener("sample", (e) => {
		samples.push(...JSON.parse(e.data));
		const cut = samples[samples.length - 1].t_ms - SPAN_MS;
		while (samples.length && samples[0].t_ms < cut) samples.shift();
		drawCharts();
	});
	events.onerror = () => { $("chart-link").textContent = "Reconnecting…"; };
}

function closeEvents() {
	if (events) events.close();
	events = null;
}

// ---- Views and session

async function run(f) {
	try {
		await f();
	} catch (e) {
		if (e instanceof HttpError && e.code === 401) return showLogin("Your session has ended: log in again.");
		status(e.message, true);
	}
}

function show(view) {
	document.body.dataset.view = view;
	for (const v of ["login"].concat(VIEWS)) $("view-" + v).hidden = v !== view;
	for (const v of VIEWS) {
		const a = $("nav-" + v);
		if (v === view) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
	}
	$("nav").hidden = view === "login";
}

function showLogin(why) {
	csrf = null;
	closeEvents();
	show("login");
	status(why || "");
	$("token").focus();
}

async function route() {
	if (!csrf) return;
	const view = VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : "accounts";
	show(view);
	status("");
	if (view === "charts") openEvents(); else closeEvents();
	document.body.dataset.ready = "no";
	await run(view === "accounts" ? showAccounts : view === "cards" ? showCards
		: view === "submissions" ? showSubmissions : async () => drawCharts());
	document.body.dataset.ready = "yes";
}

async function start() {
	$("login-form").addEventListener("submit", (e) => {
		e.preventDefault();
		const input = $("token");
		run(async () => {
			try {
				const r = await api("/api/login", "POST", { token: input.value });
				csrf = r.csrf;
				input.value = "";
				await route();
			} catch (err) {
				input.value = "";
				status(err.code === 401 ? "Wrong token." : err.message, true);
				document.body.dataset.login = "refused";
			}
		});
	});
	$("logout").addEventListener("click", () => run(async () => {
		await api("/api/logout", "POST");
		showLogin("Logged out.");
	}));
	window.addEventListener("hashchange", () => route());
	try {
		csrf = (await api("/api/session")).csrf;
	} catch (e) {
		csrf = null;
	}
	if (csrf) await route(); else showLogin("");
}

start();
