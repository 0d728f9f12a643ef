// The card's page: the screen and the reader pushed by the card
// (/events, Server-Sent Events: no polling), and the keypad, whose keys
// are POSTed to /keys with the token from the address the card printed
// (sigcardToken, /sigcard.js).
"use strict";

const KEY_NAMES = { Enter: "OK", Escape: "CANCEL", Backspace: "BACKSPACE" };
let token = null;
let sending = Promise.resolve();

function note(text, bad) {
	const p = document.getElementById("keypad-note");
	p.textContent = text;
	p.className = bad ? "note status-bad" : "note";
}

function showState(state) {
	const s = state.screen;
	document.getElementById("screen").dataset.screen = s.name;
	document.getElementById("screen-title").textContent = s.title;
	const ol = document.getElementById("screen-lines");
	ol.replaceChildren(...s.lines.map((text) => {
		const li = document.createElement("li");
		li.textContent = text;
		return li;
	}));
	const img = document.getElementById("screen-qr");
	if (s.qr) {
		// data-loaded says when this screen's code is drawn (a test waits
		// for it: a load is no change of the document by itself).
		img.dataset.loaded = "no";
		img.onload = () => { img.dataset.loaded = "yes"; };
		img.src = "/qr.svg?screen=" + state.serial;
		img.alt = "QR code: " + s.qr;
		img.hidden = false;
	} else {
		img.hidden = true;
		img.removeAttribute("src");
		img.alt = "";
	}
	const on = [];
	if (state.reader.contact) on.push("contact");
	if (state.reader.contactless) on.push("contactless");
	const r = document.getElementById("reader");
	r.textContent = on.length ? "Reader: on a reader (" + on.join(", ") + ")" : "Reader: not on a reader";
	r.dataset.onReader = on.length ? "yes" : "no";
}

// Keys go one after the other, in the order pressed.
function press(name) {
	if (!token) {
		note("The keypad needs the card's token: open the address the card printed.", true);
		return;
	}
	sending = sending.then(() => fetch("/keys", {
		method: "POST",
		headers: { "Authorization": "Bearer " + token, "Content-Type": "text/plain" },
		body: name,
		cache: "no-store",
	}).then((r) => {
		if (r.ok) {
			note("");
		} else if (r.status === 401) {
			note("The card refused the token: open the address the card printed.", true);
		} else {
			note("The card refused the key (" + r.status + ").", true);
		}
	}, () => note("The card does not answer.", true)));
}

function onKeyDown(e) {
	if (e.ctrlKey || e.altKey || e.metaKey || e.repeat) return;
	const name = /^[0-9]$/.test(e.key) ? e.key : KEY_NAMES[e.key];
	if (!name) return;
	// The key is the card's, not the focused button's (Enter would click it).
	e.preventDefault();
	press(name);
}

function connect() {
	const link = document.getElementById("link");
	const es = new EventSource("/events");
	es.addEventListener("state", (e) => {
		showState(JSON.parse(e.data));
		link.textContent = "Live: the card pushes every change.";
		link.className = "note status-ok";
		document.body.dataset.live = "yes";
	});
	es.addEventListener("error", () => {
		link.textContent = "Lost the card; reconnecting…";
		link.className = "note status-bad";
		document.body.dataset.live = "no";
	});
}

document.addEventListener("DOMContentLoaded", () => {
	token = sigcardToken();
	for (const b of document.querySelectorAll("#keypad button")) {
		b.addEventListener("click", () => press(b.dataset.key));
		b.disabled = !token;
	}
	if (!token) note("Keypad off: open the address with the token the card printed.", true);
	document.addEventListener("keydown", onKeyDown);
	connect();
});
