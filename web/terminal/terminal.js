// The terminal's page: the merchant types a payment, POSTed to /payments
// with the token from the address the terminal printed (sigcardToken,
// /sigcard.js); the terminal pushes the payment's steps and its result on
// /events (Server-Sent Events: no polling), whoever started it.
"use strict";

const STEP_NAMES = {
	challenge: "Challenge from the server",
	sign: "The card signs the transaction (SIGN)",
	"card-off": "The card leaves the reader",
	holder: "Waiting for the holder: PIN and OK on the card",
	scan: "Scanning the card's screen for the password",
	read: "Reading the password contactlessly",
	submit: "Submitting to the server",
};
let token = null;
let jp = "scan";
let busy = false;
let sending = false;

function $(id) { return document.getElementById(id); }

function note(text) {
	$("form-note").textContent = text;
	$("form-note").className = text ? "note status-bad" : "note";
}

function setBusy(b) {
	busy = b;
	$("pay").disabled = b || sending || !token;
	document.body.dataset.busy = b ? "yes" : "no";
}

function stepOrder() {
	return ["challenge", "sign", "card-off", "holder", jp === "contactless" ? "read" : "scan",
		"submit"];
}

function resetSteps(title) {
	$("payment").hidden = false;
	$("payment-title").textContent = title;
	$("steps").replaceChildren(...stepOrder().map((name) => {
		const li = document.createElement("li");
		li.dataset.step = name;
		li.dataset.state = "pending";
		const label = document.createElement("span");
		label.textContent = STEP_NAMES[name];
		const text = document.createElement("span");
		text.className = "step-text";
		li.append(label, text);
		return li;
	}));
	$("result").hidden = true;
	$("result").dataset.outcome = "";
}

function currentStep() {
	return document.querySelector("#steps li[data-state='current']");
}

function onStart(s) {
	resetSteps("Paying " + s.amount + " to " + s.payee_name + " (" + s.payee + "), " +
		s.scheme + (s.from === "socket" ? ", started by a front end" : ""));
	setBusy(true);
}

function onStep(line) {
	let li = line.step ? document.querySelector("#steps li[data-step='" + line.step + "']") : null;
	if (li) {
		// Every step before this one is done: the terminal is past it.
		let done = true;
		for (const each of document.querySelectorAll("#steps li")) {
			if (each === li) done = false;
			else if (done) each.dataset.state = "done";
		}
		li.dataset.state = "current";
	} else {
		li = currentStep();
	}
	if (li) li.querySelector(".step-text").textContent = line.progress;
}

function showReceipt(text) {
	const dl = $("receipt");
	dl.replaceChildren();
	for (const row of text.split("\n")) {
		const i = row.indexOf(": ");
		if (i < 0) continue;
		const dt = document.createElement("dt");
		dt.textContent = row.slice(0, i);
		const dd = document.createElement("dd");
		dd.textContent = row.slice(i + 2);
		dd.dataset.field = row.slice(0, i);
		dl.append(dt, dd);
	}
}

function onResult(r) {
	const box = $("result");
	box.hidden = false;
	box.dataset.outcome = r.result === "ok" ? "ok" : "error";
	box.dataset.class = r.result === "ok" ? "ok" : r.class;
	if (r.result === "ok") {
		for (const li of document.querySelectorAll("#steps li")) li.dataset.state = "done";
		$("result-title").textContent = "Paid: the server's receipt verified";
		$("result-text").textContent = "Transfer " + r.transfer_id + ".";
		showReceipt(r.receipt || "");
	} else {
		const li = currentStep();
		if (li) li.dataset.state = "failed";
		$("result-title").textContent = r.class === "cancelled" ? "Not paid: cancelled on the card"
			: r.class === "server-refused" ? "Declined by the server" : "Not paid: " + r.class;
		$("result-text").textContent = r.message;
		$("receipt").replaceChildren();
	}
	setBusy(false);
	// On a phone the outcome is below the steps: brought into sight.
	box.scrollIntoView({ block: "nearest" });
}

function pay(e) {
	e.preventDefault();
	if (busy || sending) return;
	const f = e.target;
	const body = {
		amount: f.amount.value.trim(),
		currency: f.currency.value.trim().toUpperCase(),
		payee: f.payee.value.trim().toUpperCase(),
		payee_name: f.payee_name.value.trim(),
		scheme: f.scheme.value,
	};
	sending = true;
	setBusy(busy);
	note("");
	fetch("/payments", {
		method: "POST",
		headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
		body: JSON.stringify(body),
		cache: "no-store",
	}).then((r) => (r.ok ? null : r.json().then((j) => note(j.message || ("refused (" + r.status + ")")),
		() => note("The terminal refused the payment (" + r.status + ")."))),
	() => note("The terminal does not answer.")).finally(() => {
		sending = false;
		setBusy(busy);
	});
}

function connect() {
	const link = $("link");
	const es = new EventSource("/events");
	es.addEventListener("terminal", (e) => {
		const t = JSON.parse(e.data);
		jp = t.jp;
		$("terminal-id").textContent = t.terminal_id;
		setBusy(t.busy);
		link.textContent = "Live: the terminal pushes every step.";
		link.className = "note status-ok";
		document.body.dataset.live = "yes";
	});
	es.addEventListener("start", (e) => onStart(JSON.parse(e.data)));
	es.addEventListener("step", (e) => onStep(JSON.parse(e.data)));
	es.addEventListener("result", (e) => onResult(JSON.parse(e.data)));
	es.addEventListener("error", () => {
		link.textContent = "Lost the terminal; reconnecting…";
		link.className = "note status-bad";
		document.body.dataset.live = "no";
	});
}

document.addEventListener("DOMContentLoaded", () => {
	token = sigcardToken();
	$("pay-form").addEventListener("submit", pay);
	if (!token) note("Paying needs the terminal's token: open the address the terminal printed.");
	setBusy(false);
	connect();
});
