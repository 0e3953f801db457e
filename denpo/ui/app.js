// denpo ui: the page.  It holds no key and does no cryptography: every
// cable it shows was opened and checked by the denpo process that serves it
// (denpo/ui.c).  Text from a cable is only ever put in the page as text
// (textContent), never as markup, and the Content-Security-Policy forbids
// any script but this file.
'use strict';

const state = {
	key: '',               // the session's key (lib/webui/signin.js kept it in this tab)
	me: null,
	seen: new Set(),       // cable ids listed before (a FLASH rings once)
	firstPoll: true,
	pollTimer: null,
	view: '',
	audio: null,
};

// ---- helpers ----

// el(): lib/webui/dom.js

function main() { return document.getElementById('main'); }

function show(title, ...content) {
	const m = main();
	m.replaceChildren(el('h1', { text: title }), ...content.filter((c) => c !== null && c !== undefined && c !== false));
	document.title = `${title} – denpo`;
}

function fmtTime(t) {
	if (!t) return '–';
	const d = new Date(t * 1000);
	return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function classCss(c) { return (c || '').replace(/ /g, '-'); }

function prec(p) { return el('span', { class: `prec ${p}`, text: p }); }

function message(kind, text, hint) {
	return el('div', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
		text, hint ? el('div', { text: `→ ${hint}` }) : null);
}

class ApiError extends Error {
	constructor(status, body) {
		super(body && body.message ? body.message : `HTTP ${status}`);
		this.status = status;
		this.body = body || {};
	}
}

async function api(method, path, body, onProgress) {
	if (onProgress) return xhr(method, path, body, onProgress);
	const opts = { method, headers: { 'X-Denpo-Key': state.key }, credentials: 'same-origin', cache: 'no-store' };
	if (method !== 'GET') {
		if (body !== undefined) {
			opts.headers['Content-Type'] = 'application/json';
			opts.body = JSON.stringify(body);
		}
	}
	let r;
	try {
		r = await fetch(path, opts);
	} catch (e) {
		processGone();
		throw new ApiError(0, { error: 'gone', message: 'the denpo ui process does not answer' });
	}
	const text = await r.text();
	let j = null;
	try { j = text ? JSON.parse(text) : null; } catch (e) { j = null; }
	if (r.status === 401) {
		notSignedIn();
		throw new ApiError(401, j);
	}
	if (!r.ok) throw new ApiError(r.status, j);
	return j;
}

// A request with upload progress (attachments): XMLHttpRequest reports it, fetch does not.
function xhr(method, path, body, onProgress) {
	return new Promise((resolve, reject) => {
		const x = new XMLHttpRequest();
		x.open(method, path);
		x.setRequestHeader('Content-Type', 'application/json');
		x.setRequestHeader('X-Denpo-Key', state.key);
		x.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
		x.onload = () => {
			let j = null;
			try { j = x.responseText ? JSON.parse(x.responseText) : null; } catch (e) { j = null; }
			if (x.status >= 200 && x.status < 300) resolve(j);
			else reject(new ApiError(x.status, j));
		};
		x.onerror = () => { processGone(); reject(new ApiError(0, { message: 'the denpo ui process does not answer' })); };
		x.send(JSON.stringify(body));
	});
}

function errorBox(e) {
	const b = e.body || {};
	if (b.error === 'verification')
		return message('error', `NOT SHOWN: ${b.message}`, b.hint || 'report this cable to security operations');
	if (e.status === 503)
		return message('error', `The switch cannot be reached: ${b.message || ''}`,
			b.hint || 'cables already on this device can still be read');
	return message('error', b.message || e.message, b.hint);
}

function processGone() {
	const h = document.getElementById('halt-banner');
	h.hidden = false;
	h.textContent = 'The denpo ui process has stopped: start `denpo ui` again. Nothing was lost.';
	if (state.pollTimer) clearInterval(state.pollTimer);
}

function notSignedIn() {
	const h = document.getElementById('halt-banner');
	h.hidden = false;
	h.textContent = 'Not signed in here: use the tab the link of `denpo ui` opened, or stop `denpo ui` and start it again for a new link (each link works once).';
	if (state.pollTimer) clearInterval(state.pollTimer);
}

// ---- status line ----

function renderStatus() {
	const me = state.me;
	if (!me) return;
	document.getElementById('who').textContent = `${me.officer} · ${me.post}`;
	const net = document.getElementById('net');
	net.className = `pill ${me.online ? 'online' : 'offline'}`;
	net.textContent = me.online ? 'online' : 'offline';
	const ob = document.getElementById('offline-banner');
	if (me.online) {
		ob.hidden = true;
	} else {
		ob.hidden = false;
		const waiting = me.outbox ? ` ${me.outbox} cable${me.outbox === 1 ? '' : 's'} waiting in the outbox will be sent when it is back.` : '';
		ob.textContent = `Offline: the switch cannot be reached${me.last_contact ? ` (last contact ${fmtTime(me.last_contact)})` : ''}. ` +
			`Cables already on this device can be read, verified with what this device kept.${waiting}`;
	}
	const hb = document.getElementById('halt-banner');
	if (me.halted) {
		hb.hidden = false;
		hb.textContent = `STOPPED: ${me.halted}. Report this to security operations.`;
	}
	// devices of this officer it did not approve (the officer index): on every page until approved
	const db = document.getElementById('device-banner');
	const warn = Array.isArray(me.warnings) ? me.warnings : [];
	db.hidden = warn.length === 0;
	db.textContent = warn.map((w) => `WARNING: ${w}`).join('\n');
	const oc = document.getElementById('outbox-count');
	oc.textContent = me.outbox ? String(me.outbox) : '';
}

async function refreshMe() {
	try {
		state.me = await api('GET', '/api/me');
		renderStatus();
	} catch (e) { /* shown by api() */ }
}

// ---- FLASH: sound, desktop notification, announcement ----

function ring(item) {
	try {
		const Ctx = window.AudioContext || window.webkitAudioContext;
		if (Ctx) {
			state.audio = state.audio || new Ctx();
			const ctx = state.audio;
			for (let i = 0; i < 3; i++) {
				const o = ctx.createOscillator();
				const g = ctx.createGain();
				o.frequency.value = 880;
				g.gain.value = 0.2;
				o.connect(g).connect(ctx.destination);
				o.start(ctx.currentTime + i * 0.35);
				o.stop(ctx.currentTime + i * 0.35 + 0.2);
			}
		}
	} catch (e) { /* no sound device: the notification and the page still say it */ }
	const text = `FLASH ${item.mrn} from ${item.from}`;
	if ('Notification' in window && Notification.permission === 'granted') {
		try { new Notification('denpo: FLASH cable', { body: text, tag: item.cable_id, requireInteraction: true }); } catch (e) { /* ignore */ }
	}
	document.getElementById('announce').textContent = `FLASH cable received: ${item.mrn} from ${item.from}`;
}

async function poll() {
	let j;
	try { j = await api('GET', '/api/inbox'); } catch (e) { refreshMe(); return; }
	const cables = j.cables || [];
	for (const c of cables) {
		if (!state.seen.has(c.cable_id)) {
			state.seen.add(c.cable_id);
			if (!state.firstPoll && c.precedence === 'FLASH') ring(c);
		}
	}
	state.firstPoll = false;
	const unread = cables.length;
	document.getElementById('inbox-count').textContent = unread ? String(unread) : '';
	if (state.view === 'inbox') renderInbox(j);
	refreshMe();
}

// ---- views ----

function listTable(cables, opts) {
	const head = el('tr', {}, el('th', { scope: 'col', text: 'Precedence' }), el('th', { scope: 'col', text: 'Classification' }),
		el('th', { scope: 'col', text: 'MRN' }), el('th', { scope: 'col', text: 'From' }),
		el('th', { scope: 'col', text: 'Subject' }), el('th', { scope: 'col', text: 'Accepted' }),
		opts.archive ? el('th', { scope: 'col', text: 'Read' }) : null);
	const rows = cables.map((c) => el('tr', { class: `${c.precedence === 'FLASH' ? 'flash' : ''} ${c.subject ? '' : 'unfetched'}`, 'data-cable': c.cable_id },
		el('td', {}, prec(c.precedence), c.role === 'info' || c.role === 'record' ? ` (${c.role})` : ''),
		el('td', { text: c.classification }),
		el('td', { class: 'mrn' }, el('a', { class: 'open', href: `#/read/${c.cable_id}`, text: c.mrn })),
		el('td', { text: c.from }),
		el('td', { class: 'subject', lang: 'ja', text: c.subject || 'open to see the subject' }),
		el('td', { text: fmtTime(c.accepted) }),
		opts.archive ? el('td', { text: c.acked ? 'yes' : 'no' }) : null));
	return el('table', { class: 'list' }, el('caption', { class: 'visually-hidden', text: opts.caption }), el('thead', {}, head), el('tbody', {}, rows));
}

function failedBox(j) {
	if (!j.failed || !j.failed.length) return null;
	return message('error', `${j.failed.length} cable(s) failed verification and are not listed: ` +
		j.failed.map((f) => `${f.cable_id}: ${f.message}`).join('; '), 'report them to security operations');
}

function renderInbox(j) {
	const cables = j.cables || [];
	const content = cables.length ? listTable(cables, { caption: 'Cables waiting, FLASH first' })
		: el('p', { class: 'empty', text: 'No cables waiting.' });
	show('Inbox', failedBox(j), content);
}

async function viewInbox() {
	show('Inbox', el('p', { class: 'loading', text: 'Loading…' }));
	try { renderInbox(await api('GET', '/api/inbox')); } catch (e) { show('Inbox', errorBox(e)); }
}

async function viewArchive() {
	show('Archive', el('p', { class: 'loading', text: 'Loading…' }));
	try {
		const j = await api('GET', '/api/archive?limit=100');
		show('Archive', failedBox(j), (j.cables || []).length ? listTable(j.cables, { archive: true, caption: 'Every cable addressed to this device, newest first' })
			: el('p', { class: 'empty', text: 'No cables yet.' }));
	} catch (e) { show('Archive', errorBox(e)); }
}

function fieldList(pairs) {
	const dl = el('dl', { class: 'fields' });
	for (const [k, v, lang] of pairs) {
		if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
		dl.append(el('dt', { text: k }), el('dd', { lang, text: Array.isArray(v) ? v.join(', ') : v }));
	}
	return dl;
}

// An attachment is fetched with the session's key, then saved by the browser as a download
// (it is never shown in the page).
async function saveAttachment(id, n, name) {
	try {
		const r = await fetch(`/api/cables/${id}/attachments/${n}`, { headers: { 'X-Denpo-Key': state.key }, cache: 'no-store' });
		if (!r.ok) throw new ApiError(r.status, await r.json().catch(() => null));
		const url = URL.createObjectURL(await r.blob());
		const a = el('a', { href: url, download: name });
		document.body.append(a);
		a.click();
		a.remove();
		setTimeout(() => URL.revokeObjectURL(url), 10000);
	} catch (e) { main().append(errorBox(e)); }
}

async function viewRead(id) {
	show('Cable', el('p', { class: 'loading', text: 'Opening and verifying…' }));
	let c;
	try { c = await api('GET', `/api/cables/${id}`); } catch (e) { show('Cable', errorBox(e)); return; }
	const banner = () => el('div', { class: `banner ${classCss(c.classification)}`, text: c.banner || c.classification });
	const v = c.verification || {};
	const verify = el('div', { class: `verify ${v.offline ? 'offline' : 'ok'}`, role: 'status' },
		el('strong', { text: v.offline ? 'Verified offline' : 'Verified' }), ': ', v.checked || '',
		v.offline && v.offline_note ? el('div', { text: v.offline_note }) : null,
		v.log_index >= 0 ? el('div', { text: `Transparency log entry ${v.log_index}.` }) : null);
	const atts = (c.attachments || []).map((a, i) => el('li', {},
		el('button', { type: 'button', class: 'linklike', text: `Save ${a.name}`, onclick: () => saveAttachment(id, i + 1, a.name) }), ` (${a.size} bytes)`));
	const status = el('div', { class: 'actions' });
	const ackBtn = el('button', { type: 'button', text: 'Acknowledge', onclick: async () => {
		ackBtn.disabled = true;
		try {
			await api('POST', `/api/cables/${id}/ack`);
			status.append(message('ok', 'Acknowledged: the sender sees your read receipt.'));
			ackBtn.textContent = 'Acknowledged';
			poll();
		} catch (e) { ackBtn.disabled = false; status.append(errorBox(e)); }
	} });
	if (v.offline) {
		ackBtn.disabled = true;
		ackBtn.textContent = 'Acknowledge (when the switch is back)';
	}
	const replyBtn = el('button', { type: 'button', class: 'secondary', text: 'Reply', onclick: () => { location.hash = `#/compose/reply/${id}`; } });
	status.append(ackBtn, replyBtn);
	const article = el('article', { class: 'cable', 'aria-label': `Cable ${c.mrn}` },
		banner(),
		fieldList([
			['MRN', c.mrn], ['Precedence', c.info_precedence && c.info_precedence !== c.precedence ? `${c.precedence} / ${c.info_precedence}` : c.precedence],
			['DTG', c.dtg], ['Accepted', fmtTime(c.accepted)], ['From', c.from], ['To', c.to], ['Info', c.info], ['Attn', c.attn],
			['Classification', c.classification], ['Captions', c.captions], ['Classified by', c.classified_by], ['DECL', c.declassify_event ? `ON EVENT: ${c.declassify_event}` : c.declassify_on], ['Retention', c.retention],
			['Tags', c.tags], ['Subject', c.subject, 'ja'], ['Ref', c.refs], ['Cable ID', c.cable_id]]),
		el('pre', { class: 'body', lang: 'ja', text: c.body || '' }),
		atts.length ? el('div', { class: 'fields' }, el('h2', { text: 'Attachments' }), el('ul', {}, atts)) : null,
		verify, status, banner());
	show(c.subject || c.mrn, article);
}

function receiptsTable(s) {
	const rows = (s.recipients || []).map((r) => el('tr', { class: r.overdue ? 'flash' : '' },
		el('td', { text: r.officer }), el('td', { text: r.post }), el('td', { text: r.role }),
		el('td', { text: r.delivered ? fmtTime(r.delivered) : '–' }), el('td', { text: r.acked ? fmtTime(r.acked) : '–' }),
		el('td', { text: r.overdue ? 'OVERDUE' : '' })));
	return el('table', { class: 'list' }, el('caption', { class: 'visually-hidden', text: 'Receipts per recipient device' }),
		el('thead', {}, el('tr', {}, ...['Officer', 'Post', 'Role', 'Delivered', 'Acknowledged', ''].map((h) => el('th', { scope: 'col', text: h })))),
		el('tbody', {}, rows));
}

async function viewStatus(id) {
	show('Receipts', el('p', { class: 'loading', text: 'Loading…' }));
	try {
		const s = await api('GET', `/api/cables/${id}/status`);
		show(`Receipts: ${s.mrn}`, fieldList([['MRN', s.mrn], ['Precedence', s.precedence], ['Classification', s.classification],
			['Accepted', fmtTime(s.accepted)], ['Log entry', String(s.log_index)]]), receiptsTable(s));
	} catch (e) { show('Receipts', errorBox(e)); }
}

async function viewSent() {
	show('Sent', el('p', { class: 'loading', text: 'Loading…' }));
	try {
		const j = await api('GET', '/api/sent');
		const rows = (j.cables || []).map((c) => el('tr', { 'data-cable': c.cable_id },
			el('td', {}, prec(c.precedence)), el('td', { text: c.classification }),
			el('td', { class: 'mrn' }, el('a', { class: 'open', href: `#/status/${c.cable_id}`, text: c.mrn })),
			el('td', { text: fmtTime(c.accepted) }), el('td', { text: String(c.recipients) }),
			el('td', { text: String(c.delivered) }), el('td', { class: 'acked', text: String(c.acked) })));
		const table = rows.length ? el('table', { class: 'list' }, el('caption', { class: 'visually-hidden', text: 'Cables you sent' }),
			el('thead', {}, el('tr', {}, ...['Precedence', 'Classification', 'MRN', 'Accepted', 'Recipients', 'Delivered', 'Acknowledged'].map((h) => el('th', { scope: 'col', text: h })))),
			el('tbody', {}, rows)) : el('p', { class: 'empty', text: 'No cables sent.' });
		const pending = (j.pending || []).length ? message('info', `${j.pending.length} cable(s) saved here are not accepted by the switch yet.`) : null;
		const lost = (j.lost || []).length ? message('error', `${j.lost.length} cable(s) you sent were lost by the switch (restored from a backup).`, 'resend them with `denpo retry --lost`') : null;
		show('Sent', failedBox(j), lost, pending, table);
	} catch (e) { show('Sent', errorBox(e)); }
}

async function viewSearch() {
	const q = el('input', { type: 'search', id: 'q', name: 'q', autocomplete: 'off' });
	const from = el('input', { type: 'date', id: 'from' });
	const to = el('input', { type: 'date', id: 'to' });
	const out = el('div', { id: 'hits' });
	const form = el('form', { class: 'searchbar', role: 'search', onsubmit: async (ev) => {
		ev.preventDefault();
		const body = { q: q.value };
		if (from.value) body.from = Math.floor(new Date(`${from.value}T00:00:00`).getTime() / 1000);
		if (to.value) body.to = Math.floor(new Date(`${to.value}T23:59:59`).getTime() / 1000);
		out.replaceChildren(el('p', { class: 'loading', text: 'Searching…' }));
		try {
			const j = await api('POST', '/api/search', body);
			const rows = j.hits.map((h) => el('tr', {},
				el('td', {}, prec(h.precedence)), el('td', { class: 'mrn' }, el('a', { class: 'open', href: `#/read/${h.cable_id}`, text: h.mrn })),
				el('td', { text: h.from }), el('td', { lang: 'ja' }, el('div', { text: h.subject }), el('div', { class: 'snippet', text: h.snippet })),
				el('td', { text: fmtTime(h.accepted) })));
			out.replaceChildren(el('p', { role: 'status', text: `${j.hits.length} of ${j.searched} cables on this device match.` }),
				rows.length ? el('table', { class: 'list' }, el('caption', { class: 'visually-hidden', text: 'Search results' }),
					el('thead', {}, el('tr', {}, ...['Precedence', 'MRN', 'From', 'Subject', 'Accepted'].map((x) => el('th', { scope: 'col', text: x })))),
					el('tbody', {}, rows)) : null);
		} catch (e) { out.replaceChildren(errorBox(e)); }
	} },
	el('label', { class: 'grow', for: 'q' }, 'Words (subject, TAGS, text, MRN, From)', q),
	el('label', { for: 'from' }, 'From date', from), el('label', { for: 'to' }, 'To date', to),
	el('button', { type: 'submit', text: 'Search' }));
	show('Search', el('p', { text: 'Searches the cables on this device, in memory: nothing is written to disk.' }), form, out);
	q.focus();
}

// Compose, drafts and the outbox (denpo/ui/compose.js adds them when present).
const views = {
	inbox: viewInbox,
	archive: viewArchive,
	read: viewRead,
	status: viewStatus,
	sent: viewSent,
	search: viewSearch,
};

function route() {
	const h = location.hash.replace(/^#\/?/, '') || 'inbox';
	const [name, ...rest] = h.split('/');
	const fn = views[name] || viewInbox;
	state.view = views[name] ? name : 'inbox';
	for (const a of document.querySelectorAll('nav a')) {
		if (a.dataset.view === state.view) a.setAttribute('aria-current', 'page');
		else a.removeAttribute('aria-current');
	}
	fn(...rest);
	main().focus();
}

async function start() {
	state.key = sessionStorage.getItem('denpo_key') || '';
	if (!state.key) { notSignedIn(); return; }
	try { await api('GET', '/api/session'); } catch (e) { return; }
	await refreshMe();
	if ('Notification' in window && Notification.permission === 'default') {
		// asked once, from a click (browsers ignore a request without one)
		document.addEventListener('click', () => { Notification.requestPermission().catch(() => {}); }, { once: true });
	}
	window.addEventListener('hashchange', route);
	route();
	await poll();
	state.pollTimer = setInterval(poll, 2500);
}

window.denpo = { ApiError, views, api, el, show, message, errorBox, prec, fieldList, state, route, poll, refreshMe };
document.addEventListener('DOMContentLoaded', start);
