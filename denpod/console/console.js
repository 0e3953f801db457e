// denpod console: the page (denpod/console_api.c answers it).  No library, no inline script or
// style (the Content-Security-Policy forbids them): every text goes in with textContent.
'use strict';

const state = { key: '', user: '', view: '', seen: -1, last: {}, busy: false };

// What each rule means, for the security office (docs/detection.md §2).
const RULES = {
	'DECOY': 'A decoy cable was touched: fetched, probed, or its originator\'s keys requested. Decoys are read by nobody legitimately.',
	'NETWORK': 'A request came from an address in none of the ministry\'s registered networks.',
	'TWO-PLACES': 'The device was seen from two different posts\' networks too close together in time.',
	'BULK-CAP': 'The officer fetched more distinct cables in an hour or a day than the hard cap allows.',
	'BULK-BASELINE': 'The officer fetched far more than their own usual amount.',
	'BULK-PEER': 'During the officer\'s first weeks: far more fetches than the other officers of the post.',
	'ENUM-RANGE': 'Re-fetches walking through the archive in order: a sweep.',
	'NOT-ADDRESSED': 'Repeated requests for cables not addressed to the device.',
	'DEEP-ARCHIVE': 'Re-fetches of cables older than the archive depth the officer normally reads.',
	'MACHINE-SPEED': 'Re-fetches in a row faster than a person reads.',
	'RISK': 'Several kinds of weak signal added up on the device.',
};

// ---- small helpers ----

// el(): lib/webui/dom.js
const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, ...kids) {
	const e = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
	for (const k of kids) if (k !== null && k !== undefined) e.append(k);
	return e;
}
function utc(t) {
	if (!t) return '—';
	return new Date(t * 1000).toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$/, 'Z');
}
function ago(t) {
	const s = Math.max(0, Math.round(Date.now() / 1000 - t));
	if (s < 60) return `${s} s ago`;
	if (s < 3600) return `${Math.floor(s / 60)} min ago`;
	if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
	return `${Math.floor(s / 86400)} d ago`;
}
function late(s) {
	if (s < 3600) return `${Math.round(s / 60)} min`;
	return `${(s / 3600).toFixed(1)} h`;
}
function short(hex) { return hex ? `${hex.slice(0, 16)}…` : '—'; }
function announce(text) {
	const a = document.getElementById('announce');
	a.textContent = '';
	setTimeout(() => { a.textContent = text; }, 50);
}
function problem(text) {
	const p = document.getElementById('problem');
	p.textContent = text || '';
	p.hidden = !text;
}
function table(caption, heads, rows) {
	return el('table', { class: 'list' },
		el('caption', { class: 'visually-hidden', text: caption }),
		el('thead', {}, el('tr', {}, ...heads.map((h) => el('th', { scope: 'col', text: h })))),
		el('tbody', {}, ...rows));
}
function empty(text) { return el('p', { class: 'empty', text }); }
function put(id, ...nodes) { document.getElementById(id).replaceChildren(...nodes); }
function badge(id, n) { document.getElementById(id).textContent = n ? String(n) : ''; }
function status(s) { return el('span', { class: `state ${s}`, text: s }); }

// ---- the API ----

// activity: the operator asked for this (an act, a navigation), not the polling; the console
// ends a session idle for 30 minutes by these only (X-Denpo-Activity, denpod/console.h dpcs_who)
async function api(path, body, activity) {
	const opts = { credentials: 'same-origin', headers: { 'X-Denpo-Key': state.key } };
	if (activity || body !== undefined) opts.headers['X-Denpo-Activity'] = '1';
	if (body !== undefined) {
		opts.method = 'POST';
		opts.headers['Content-Type'] = 'application/json';
		opts.body = JSON.stringify(body);
	}
	let r;
	try {
		r = await fetch(path, opts);
	} catch (e) {
		problem('The console does not answer: is `denpod console` still running on the switch host?');
		throw e;
	}
	if (r.status === 401) {
		sessionStorage.removeItem('denpo_key');
		window.location.replace('/login.html');
		throw new Error('not logged in');
	}
	const j = await r.json().catch(() => ({}));
	if (!r.ok) {
		const err = new Error(j.message || `HTTP ${r.status}`);
		err.status = r.status;
		err.hint = j.hint;
		throw err;
	}
	return j;
}

// ---- confirm, then act ----

function ask(title, text, ok) {
	const d = document.getElementById('confirm');
	document.getElementById('confirm-title').textContent = title;
	document.getElementById('confirm-text').textContent = text;
	document.getElementById('confirm-ok').textContent = ok;
	document.getElementById('confirm-error').textContent = '';
	const reason = document.getElementById('confirm-reason');
	reason.value = '';
	d.returnValue = 'cancel';
	return new Promise((resolve) => {
		d.addEventListener('close', () => resolve(d.returnValue === 'ok' ? reason.value.trim() : null),
			{ once: true });
		d.showModal();
		reason.focus();
	});
}

async function act(path, title, text, ok) {
	const opener = document.activeElement;
	const reason = await ask(title, text, ok);
	if (reason === null) {
		if (opener) opener.focus();
		return;
	}
	try {
		const r = await api(path, reason ? { reason } : {});
		problem('');
		announce(r.said || 'Done.');
		showResult(r.said || 'Done.', false);
	} catch (e) {
		if (e.status) showResult(`Refused: ${e.message}`, true);
	}
	await refresh(true);
	const main = document.getElementById('main');
	if (!main.contains(document.activeElement)) main.focus();
}

function showResult(text, bad) {
	const v = document.getElementById(`view-${state.view}`);
	let r = v.querySelector('.result');
	if (!r) {
		r = el('p', { class: 'result', role: 'status' });
		v.querySelector('h1').after(r);
	}
	r.className = bad ? 'result bad' : 'result';
	r.textContent = text;
}

// ---- views ----

function stepButtons(step) {
	if (!step) return [];
	const out = [];
	if (step.state === 'active' || step.state === 'confirmed') {
		out.push(el('button', {
			type: 'button', class: 'primary', 'data-act': `undo-${step.id}`,
			text: `Undo step ${step.id}`,
			onclick: () => act(`/api/steps/${step.id}/undo`, `Undo containment step ${step.id}?`,
				step.kind === 'suspend'
					? 'The device is reinstated at once (unless another suspension holds it) and its queued cables are delivered at its next request.'
					: 'The throttle is lifted at once.',
				'Undo step'),
		}));
	}
	if (step.state === 'active' && step.kind === 'suspend') {
		out.push(el('button', {
			type: 'button', 'data-act': `confirm-${step.id}`, text: `Confirm step ${step.id}`,
			onclick: () => act(`/api/steps/${step.id}/confirm`, `Confirm containment step ${step.id}?`,
				'The device stays suspended beyond the time box, until an operator reinstates or revokes it.',
				'Confirm suspension'),
		}));
	}
	return out;
}

function renderAlerts(j) {
	const list = j.alerts || [];
	badge('n-alerts', list.filter((a) => a.step && a.step.state === 'active').length);
	const maxIdx = list.length ? list[0].index : -1;
	if (state.alertsLoaded && maxIdx > state.seen) {
		const fresh = list.filter((a) => a.index > state.seen);
		announce(`${fresh.length} new alert${fresh.length > 1 ? 's' : ''}: ${fresh.map((a) =>
			`${a.rule} for ${a.officer || 'a device'}${a.post ? ` at ${a.post}` : ''}`).join('; ')}`);
	}
	state.seen = Math.max(state.seen, maxIdx);
	state.alertsLoaded = true;
	if (!list.length) {
		put('alerts', empty('No alerts in the log\'s recent entries.'));
		return;
	}
	put('alerts', ...list.map((a) => {
		const step = a.step;
		return el('article', { class: `card alert${step && step.state === 'active' ? ' open' : ''}`,
			'aria-labelledby': `alert-${a.index}` },
		el('h2', { id: `alert-${a.index}` },
			el('span', { class: 'rule', text: a.rule }), ' ',
			a.officer ? `${a.officer} at ${a.post}` : 'unknown device'),
		el('p', { class: 'meta' },
			el('time', { datetime: new Date(a.time * 1000).toISOString(), text: utc(a.time) }),
			` (${ago(a.time)}) · device `, el('code', { text: short(a.device), title: a.device }),
			` · log entry ${a.index}`),
		el('p', { class: 'meaning', text: RULES[a.rule] || '' }),
		el('p', { class: 'explain' }, el('strong', { text: 'What the switch saw: ' }), a.detail || '(no detail)'),
		step ? el('p', { class: 'step' }, `Containment step ${step.id}: ${step.kind} — `, status(step.state),
			step.until && step.state === 'active' ? ` until ${utc(step.until)}` : '')
			: el('p', { class: 'step', text: 'No automatic step (report only, or an operator acted first).' }),
		el('div', { class: 'buttons' }, ...stepButtons(step)));
	}));
}

function renderSteps(j) {
	const steps = j.steps || [];
	if (!document.getElementById('steps-all').checked)
		badge('n-steps', steps.filter((s) => s.state === 'active' || s.state === 'confirmed').length);
	if (!steps.length) {
		put('steps', empty('No open containment steps.'));
		return;
	}
	put('steps', table('Containment steps',
		['Step', 'State', 'Kind', 'Officer', 'Post', 'Device', 'Rule', 'Since', 'Until', 'Actions'],
		steps.map((s) => el('tr', {},
			el('td', { text: String(s.id) }), el('td', {}, status(s.state)), el('td', { text: s.kind }),
			el('td', { text: s.officer || '—' }), el('td', { text: s.post || '—' }),
			el('td', {}, el('code', { text: short(s.device), title: s.device })),
			el('td', { text: s.rule }), el('td', { text: utc(s.since) }), el('td', { text: utc(s.until) }),
			el('td', { class: 'buttons' }, ...stepButtons(s))))));
}

const ACT_NAMES = { 'device-revoke': 'Revoke device', 'officer-disable': 'Disable officer' };

function renderApprovals(j) {
	const list = j.approvals || [];
	badge('n-approvals', list.length);
	if (!list.length) {
		put('approvals', empty('No request is waiting for a second operator.'));
		return;
	}
	put('approvals', table('Requests waiting for a second operator',
		['Request', 'Act', 'Target', 'Asked by', 'Reason', 'Asked', 'Lapses', 'Actions'],
		list.map((a) => {
			const mine = a.requested_by === state.user;
			return el('tr', {},
				el('td', { text: String(a.id) }), el('td', { text: ACT_NAMES[a.act] || a.act }),
				el('td', {}, a.officer ? `${a.officer}'s device at ${a.post} ` : '',
					el('code', { text: a.officer ? short(a.target) : a.target, title: a.target })),
				el('td', { text: a.requested_by }),
				el('td', { text: a.reason || '—' }), el('td', { text: utc(a.created) }),
				el('td', { text: utc(a.expires) }),
				el('td', { class: 'buttons' }, el('button', {
					type: 'button', class: 'primary', 'data-act': `approve-${a.id}`,
					'aria-describedby': mine ? `mine-${a.id}` : undefined,
					text: `Approve request ${a.id}`,
					onclick: () => act(`/api/approvals/${a.id}/approve`,
						`Approve request ${a.id}: ${ACT_NAMES[a.act] || a.act}?`,
						`${a.requested_by} asked to ${(ACT_NAMES[a.act] || a.act).toLowerCase()} ${a.target}. This is final: it takes effect now, by you as the second operator.`,
						'Approve'),
				}), mine ? el('span', { id: `mine-${a.id}`, class: 'small muted', text: 'You asked for this: another operator must approve.' }) : null));
		})));
}

function deviceButtons(d) {
	const b = [];
	const name = `${d.officer}'s device ${d.id.slice(0, 8)}`;
	if (d.status === 'active')
		b.push(el('button', { type: 'button', text: 'Suspend…', 'aria-label': `Suspend ${name}`,
			onclick: () => act(`/api/devices/${d.id}/suspend`, `Suspend ${name}?`,
				'Every request of the device is refused at once, until an operator reinstates it.', 'Suspend') }));
	if (d.status === 'suspended')
		b.push(el('button', { type: 'button', text: 'Reinstate…', 'aria-label': `Reinstate ${name}`,
			onclick: () => act(`/api/devices/${d.id}/reinstate`, `Reinstate ${name}?`,
				'The device works again at once; any automatic step on it ends.', 'Reinstate') }));
	if (d.status !== 'revoked')
		b.push(el('button', { type: 'button', class: 'danger', text: 'Revoke…', 'aria-label': `Revoke ${name}`,
			onclick: () => act(`/api/devices/${d.id}/revoke`, `Revoke ${name}?`,
				'Final: the device and its keys are retired. A second, different operator must approve the request within 24 hours.', 'Ask to revoke') }));
	return b;
}

function renderDevices(j) {
	const list = j.devices || [];
	if (!list.length) {
		put('devices', empty('No device is enrolled.'));
		return;
	}
	put('devices', table('Devices', ['Officer', 'Post', 'Device', 'Name', 'Status', 'Key epoch', 'Actions'],
		list.map((d) => el('tr', {},
			el('td', { text: d.officer }), el('td', { text: d.post || '—' }),
			el('td', {}, el('code', { text: short(d.id), title: d.id })), el('td', { text: d.name }),
			el('td', {}, el('span', { class: `state dev-${d.status}`, text: d.status })),
			el('td', { text: d.epoch === null ? 'no current key' : `${d.epoch} until ${utc(d.key_not_after)}` }),
			el('td', { class: 'buttons' }, ...deviceButtons(d))))));
}

function renderOverdue(j) {
	const list = j.overdue || [];
	badge('n-overdue', list.length);
	if (!list.length) {
		put('overdue', empty('Every recipient is within its handling-time objective.'));
		return;
	}
	const byPost = new Map();
	for (const o of list) {
		const p = o.post || '(unknown post)';
		if (!byPost.has(p)) byPost.set(p, []);
		byPost.get(p).push(o);
	}
	const out = [];
	for (const [post, rows] of [...byPost.entries()].sort()) {
		out.push(el('h2', { text: `${post} — ${rows.length} overdue` }));
		out.push(table(`Overdue at ${post}`, ['MRN', 'Precedence', 'Officer', 'Device', 'Role', 'Late by', 'Fetched'],
			rows.map((o) => el('tr', { class: o.precedence === 'FLASH' ? 'flash' : undefined },
				el('td', { class: 'mrn', text: o.mrn }),
				el('td', {}, el('span', { class: `prec ${o.precedence}`, text: o.precedence })),
				el('td', { text: o.officer || '—' }),
				el('td', {}, el('code', { text: short(o.device), title: o.device })),
				el('td', { text: o.role }), el('td', { text: late(o.late_seconds) }),
				el('td', { text: o.fetched ? 'yes' : 'not even fetched' })))));
	}
	put('overdue', ...out);
}

function renderCheckpoint(j) {
	const posts = (j.posts || []).slice().sort((a, b) => a.post.localeCompare(b.post));
	const upToDate = posts.filter((p) => p.witnessed !== null && p.witnessed >= j.size).length;
	const some = posts.filter((p) => p.witnessed !== null).length;
	const said = (p) => {
		if (p.witnessed === null) return el('span', { class: 'state not', text: 'not yet' });
		if (p.witnessed >= j.size) return el('span', { class: 'state witnessed', text: 'this checkpoint' });
		return el('span', { class: 'state behind', text: `up to size ${p.witnessed} (${j.size - p.witnessed} entries behind)` });
	};
	put('checkpoint',
		el('dl', { class: 'facts' },
			el('dt', { text: 'Log' }), el('dd', {}, el('code', { text: j.origin })),
			el('dt', { text: 'Size' }), el('dd', { text: `${j.size} entries` }),
			el('dt', { text: 'Root hash' }), el('dd', {}, el('code', { class: 'wrap', text: j.root })),
			el('dt', { text: 'Signed' }), el('dd', { text: j.signed ? `${utc(j.signed)} (${ago(j.signed)})` : '—' }),
			el('dt', { text: 'Posts that witnessed it' }),
			el('dd', { id: 'witness-summary', text: `${upToDate} of ${posts.length} (${some} have witnessed some checkpoint)` })),
		el('h2', { text: 'Posts' }),
		el('p', { class: 'muted', text: 'A post has witnessed the log up to a size when one of its devices cosigned a checkpoint of that size: it checked that what it saw is a prefix of the log every other witness sees.' }),
		table('Posts and the largest checkpoint a device of theirs cosigned', ['Post', 'Witnessed'],
			posts.map((p) => el('tr', {}, el('td', { text: p.post }), el('td', {}, said(p))))),
		el('h2', { text: 'Cosignatures of this checkpoint' }),
		(j.witnesses || []).length
			? table('Devices that cosigned this checkpoint', ['Officer', 'Post', 'Cosigner'],
				j.witnesses.map((w) => el('tr', {}, el('td', { text: w.officer || '—' }),
					el('td', { text: w.post || '—' }), el('td', {}, el('code', { class: 'wrap', text: w.name })))))
			: empty('No device has cosigned this checkpoint yet (devices cosign when they next sync the log).'),
		el('details', {}, el('summary', { text: 'The signed note' }), el('pre', { text: j.note })));
}

const COLORS = ['#1d3557', '#b00020', '#0b6e4f', '#8a4b00', '#6a3d9a', '#005a9c', '#4a4f55', '#a6005b'];
const DASH = ['', '6 3', '2 3', '8 3 2 3'];

function renderRates(j) {
	const posts = j.posts || [];
	if (!posts.length) {
		put('rates', empty('No fetch in the last hour.'));
		return;
	}
	const n = j.minutes;
	const W = 720, H = 260, L = 44, R = 12, T = 12, B = 34;
	const max = Math.max(1, ...posts.flatMap((p) => p.counts));
	const x = (i) => L + (i * (W - L - R)) / (n - 1);
	const y = (v) => T + (H - T - B) * (1 - v / max);
	const g = svg('g', {});
	for (let k = 0; k <= 4; k++) {
		const v = Math.round((max * k) / 4);
		g.append(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }),
			svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, String(v)));
	}
	for (let m = 0; m < n; m += 10) {
		g.append(svg('text', { x: x(m), y: H - 12, 'text-anchor': 'middle', class: 'tick' },
			`${m - n + 1} min`));
	}
	g.append(svg('text', { x: x(n - 1), y: H - 12, 'text-anchor': 'end', class: 'tick' }, 'now'));
	posts.forEach((p, i) => {
		const pts = p.counts.map((v, k) => `${x(k).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
		g.append(svg('polyline', { points: pts, fill: 'none', stroke: COLORS[i % COLORS.length],
			'stroke-width': 2, 'stroke-dasharray': DASH[Math.floor(i / COLORS.length) % DASH.length] }));
	});
	const total = posts.map((p) => `${p.post} ${p.counts.reduce((a, b) => a + b, 0)}`).join(', ');
	const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-labelledby': 'rates-title rates-desc' },
		svg('title', { id: 'rates-title' }, 'Fetches per minute by post, last 60 minutes'),
		svg('desc', { id: 'rates-desc' }, `Total fetches in the hour: ${total}.`), g);
	const legend = el('ul', { class: 'legend' }, ...posts.map((p, i) => el('li', {},
		el('span', { class: `swatch c${i % COLORS.length}`, 'aria-hidden': 'true' }), p.post)));
	// the figures behind the chart, for screen readers and for reading off: each minute with a fetch
	const rows = [];
	for (let k = n - 1; k >= 0; k--) {
		if (!posts.some((p) => p.counts[k])) continue;
		rows.push(el('tr', {}, el('th', { scope: 'row', text: utc((j.end - (n - 1 - k)) * 60) }),
			...posts.map((p) => el('td', { text: String(p.counts[k]) }))));
	}
	const data = el('details', {}, el('summary', { text: 'The figures: fetches in each minute that had any' }),
		table('Fetches per minute by post', ['Minute (UTC)', ...posts.map((p) => p.post)], rows));
	put('rates', chart, legend, data);
}

// ---- navigation and polling ----

const VIEWS = {
	alerts: ['/api/alerts', renderAlerts],
	steps: [() => `/api/steps${document.getElementById('steps-all').checked ? '?all=1' : ''}`, renderSteps],
	approvals: ['/api/approvals', renderApprovals],
	devices: ['/api/devices', renderDevices],
	overdue: ['/api/overdue', renderOverdue],
	log: ['/api/checkpoint', renderCheckpoint],
	rates: ['/api/rates', renderRates],
};
// Polled whatever the view: the counts in the navigation.
const ALWAYS = ['alerts', 'steps', 'approvals', 'overdue'];

async function load(view, force) {
	const [p, render] = VIEWS[view];
	const path = typeof p === 'function' ? p() : p;
	let j;
	try {
		j = await api(path, undefined, force);
	} catch (e) {
		if (e.status === 404 && view === 'log') {
			put('checkpoint', empty(`${e.message}${e.hint ? ` (${e.hint})` : ''}.`));
			return;
		}
		if (e.status) problem(`${e.message}${e.hint ? ` — ${e.hint}` : ''}`);
		return;
	}
	const text = JSON.stringify(j);
	if (!force && state.last[path] === text) return; // unchanged: keep the focus where it is
	state.last[path] = text;
	render(j);
}

async function refresh(force) {
	if (state.busy) return;
	state.busy = true;
	try {
		const views = new Set([...ALWAYS, state.view]);
		for (const v of views) await load(v, force && v === state.view);
	} finally {
		state.busy = false;
	}
}

function show() {
	const want = (location.hash.match(/^#\/(\w+)/) || [])[1];
	const view = VIEWS[want] ? want : 'alerts';
	const changed = view !== state.view;
	state.view = view;
	for (const v of Object.keys(VIEWS)) document.getElementById(`view-${v}`).hidden = v !== view;
	for (const a of document.querySelectorAll('nav a')) {
		if (a.dataset.view === view) a.setAttribute('aria-current', 'page');
		else a.removeAttribute('aria-current');
	}
	const sec = document.getElementById(`view-${view}`);
	document.title = `${sec.dataset.title} — denpod console`;
	if (changed) {
		const old = sec.querySelector('.result');
		if (old) old.remove();
		load(view, true);
		if (state.started) document.getElementById('main').focus();
	}
	state.started = true;
}

async function start() {
	state.key = sessionStorage.getItem('denpo_key') || '';
	if (!state.key) {
		window.location.replace('/login.html');
		return;
	}
	let s;
	try {
		s = await api('/api/session', undefined, true);
	} catch (e) {
		return;
	}
	state.user = s.user;
	document.getElementById('who').textContent = s.user;
	document.getElementById('logout').addEventListener('click', async () => {
		await fetch('/logout', { method: 'POST', credentials: 'same-origin',
			headers: { 'X-Denpo-Key': state.key } }).catch(() => {});
		sessionStorage.removeItem('denpo_key');
		window.location.replace('/login.html');
	});
	document.getElementById('steps-all').addEventListener('change', () => load('steps', true));
	for (const b of document.querySelectorAll('[data-officer]')) {
		b.addEventListener('click', () => {
			const h = document.getElementById('officer-handle');
			if (!h.value.trim()) {
				h.focus();
				return;
			}
			const dis = b.dataset.officer === 'disable';
			act(`/api/officers/${encodeURIComponent(h.value.trim())}/${b.dataset.officer}`,
				`${dis ? 'Disable' : 'Enable'} officer ${h.value.trim()}?`,
				dis ? 'Every device of the officer is refused. A second, different operator must approve the request within 24 hours.'
					: 'The officer\'s devices work again.',
				dis ? 'Ask to disable' : 'Enable');
		});
	}
	// Enter in the reason submits (the only submit button: OK); Cancel and Escape close it
	document.getElementById('confirm-cancel').addEventListener('click',
		() => document.getElementById('confirm').close('cancel'));
	window.addEventListener('hashchange', show);
	show();
	await refresh(false);
	setInterval(() => refresh(false), 2000);
}

start();
