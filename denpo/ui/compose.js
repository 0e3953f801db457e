// denpo ui: composing, replying, drafts and the outbox.  The form gathers
// the officer's fields; the denpo process turns them into a cable, signs it,
// resolves and encrypts to the cleared devices and submits it (or keeps it
// in the outbox, sealed under this device's storage key, while the switch
// cannot be reached).  Drafts are sealed the same way: never plaintext on disk.
'use strict';

(() => {
	const { api, el, show, message, errorBox, prec, state } = window.denpo;
	const CLASSES = ['UNCLASSIFIED', 'RESTRICTED', 'CONFIDENTIAL', 'SECRET', 'TOP SECRET'];
	const PRECS = ['ROUTINE', 'PRIORITY', 'IMMEDIATE', 'FLASH'];
	let directory = null;

	async function loadDirectory() {
		if (directory) return directory;
		try { directory = await api('GET', '/api/directory'); } catch (e) { directory = { posts: [], officers: [], error: e }; }
		return directory;
	}

	// A field left empty is left out (the cable's defaults apply), not sent as "".
	const dropEmpty = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== '' && !(Array.isArray(v) && !v.length)));
	const split = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);

	function fileToBase64(file, onProgress) {
		return new Promise((resolve, reject) => {
			const r = new FileReader();
			r.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
			r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
			r.onerror = () => reject(r.error);
			r.readAsDataURL(file);
		});
	}

	function select(id, options, value) {
		const s = el('select', { id, name: id });
		for (const o of options) s.append(el('option', { value: o, text: o, selected: o === value }));
		return s;
	}

	function row(label, id, input, hint) {
		return [el('label', { for: id, text: label }), input, hint ? el('div', { class: 'hint', id: `${id}-hint`, text: hint }) : null];
	}

	// The form, filled from a draft object (the fields of docs/ui.md "Drafts").
	async function composeForm(d, opts) {
		const dir = await loadDirectory();
		const posts = [...(dir.posts || []).map((p) => p.name), ...(dir.collectives || []).map((c) => c.name)];
		const officers = (dir.officers || []).map((o) => o.handle);
		const roles = [...new Set((dir.officers || []).flatMap((o) => o.roles || []))];
		const dl = (id, items) => el('datalist', { id }, items.map((v) => el('option', { value: v })));
		const input = (id, value, attrs) => el('input', { type: 'text', id, name: id, value: value || '', autocomplete: 'off', ...(attrs || {}) });
		const f = {
			classification: select('classification', CLASSES, d.classification || 'CONFIDENTIAL'),
			precedence: select('precedence', PRECS, d.precedence || 'ROUTINE'),
			info_precedence: select('info_precedence', PRECS, d.info_precedence || d.precedence || 'ROUTINE'),
			to: input('to', (d.to || []).join(', '), { list: 'posts', 'aria-describedby': 'to-hint', required: true }),
			info: input('info', (d.info || []).join(', '), { list: 'posts' }),
			attn: input('attn', (d.attn || []).join(', '), { list: 'people', 'aria-describedby': 'attn-hint' }),
			captions: input('captions', (d.captions || []).join(', '), { 'aria-describedby': 'captions-hint' }),
			tags: input('tags', (d.tags || []).join(', '), { required: true, 'aria-describedby': 'tags-hint' }),
			subject: input('subject', d.subject, { required: true, lang: 'ja' }),
			refs: input('refs', (d.refs || []).join(', '), { 'aria-describedby': 'refs-hint' }),
			declassify_on: el('input', { type: 'date', id: 'declassify_on', name: 'declassify_on', value: d.declassify_on || '', 'aria-describedby': 'declassify_on-hint' }),
			declassify_event: input('declassify_event', d.declassify_event, { maxlength: 128, 'aria-describedby': 'declassify_event-hint' }),
			retention: input('retention', d.retention, { list: 'retentions', 'aria-describedby': 'retention-hint' }),
			body: el('textarea', { id: 'body', name: 'body', lang: 'ja', rows: 16 }),
			files: el('input', { type: 'file', id: 'files', name: 'files', multiple: true }),
		};
		f.body.value = d.body || '';
		const kept = (d.attachments || []).slice(); // a draft's attachments: {name, data (base64)}
		const keptList = el('ul', { class: 'kept' });
		const renderKept = () => keptList.replaceChildren(...kept.map((a, i) => el('li', {}, `${a.name} `,
			el('button', { type: 'button', class: 'secondary', text: `Remove ${a.name}`, onclick: () => { kept.splice(i, 1); renderKept(); } }))));
		renderKept();
		const retentions = el('datalist', { id: 'retentions' });
		const progress = el('progress', { id: 'progress', max: 1, value: 0, hidden: true, 'aria-label': 'Upload progress' });
		const out = el('div', { id: 'compose-result', 'aria-live': 'polite' });
		const sendBtn = el('button', { type: 'submit', text: opts.reply ? 'Send reply' : 'Send' });
		const saveBtn = el('button', { type: 'button', class: 'secondary', text: 'Save draft' });
		let draftId = opts.draftId || '';
		let inOutbox = false; // sent to the outbox: Save stays off (it would take it out, or be refused once sealed)

		async function gather(onProgress) {
			const files = [...f.files.files];
			const atts = kept.slice();
			const badName = files.find((x) => !/^[A-Za-z0-9._-]{1,255}$/.test(x.name) || /^\./.test(x.name));
			if (badName) throw new window.denpo.ApiError(400, { message: `attachment "${badName.name}": the cable format allows names of A-Z a-z 0-9 . _ - only`, hint: 'rename the file (for example with its date and a Latin-letter title) and attach it again' });
			for (let i = 0; i < files.length; i++) {
				const data = await fileToBase64(files[i], (p) => onProgress && onProgress(((i + p) / files.length) * 0.3));
				atts.push({ name: files[i].name, data });
			}
			return dropEmpty({
				classification: f.classification.value,
				precedence: f.precedence.value,
				info_precedence: f.info_precedence.value,
				to: split(f.to.value), info: split(f.info.value), attn: split(f.attn.value),
				captions: split(f.captions.value), tags: split(f.tags.value).map((t) => t.toUpperCase()),
				subject: f.subject.value, refs: split(f.refs.value), body: f.body.value,
				declassify_on: f.declassify_on.value, declassify_event: f.declassify_event.value,
				retention: f.retention.value.trim().toUpperCase(), attachments: atts,
			});
		}

		saveBtn.addEventListener('click', async () => {
			saveBtn.disabled = true;
			try {
				const d2 = await gather();
				const r = draftId ? await api('PUT', `/api/drafts/${draftId}`, d2) : await api('POST', '/api/drafts', d2);
				draftId = r.id;
				out.replaceChildren(message('ok', 'Draft saved on this device, sealed under its storage key.'));
			} catch (e) { out.replaceChildren(errorBox(e)); }
			saveBtn.disabled = inOutbox;
		});

		const form = el('form', { class: 'compose', 'aria-label': opts.reply ? 'Reply' : 'New cable', onsubmit: async (ev) => {
			ev.preventDefault();
			sendBtn.disabled = true;
			progress.hidden = false;
			progress.value = 0;
			out.replaceChildren(message('info', 'Signing, encrypting to the cleared devices and sending…'));
			try {
				const d2 = await gather((p) => { progress.value = p; });
				if (draftId) d2.draft_id = draftId;
				const r = await api('POST', '/api/send', d2, (p) => { progress.value = 0.3 + p * 0.7; });
				progress.value = 1;
				if (r.queued) {
					// in the outbox now: saving it again would take it out (or, sealed, is refused)
					inOutbox = true;
					saveBtn.disabled = true;
					out.replaceChildren(message('info', 'The switch cannot be reached: the cable is in the outbox and is sent by itself when the switch is back. To change it, delete it from the outbox and write it again.'));
				} else {
					out.replaceChildren(message('ok', `Sent: ${r.mrn}, encrypted to ${(r.devices || []).length} device(s).`),
						el('a', { href: `#/status/${r.cable_id}`, text: 'See its receipts' }));
				}
				window.denpo.refreshMe();
			} catch (e) {
				out.replaceChildren(errorBox(e));
				sendBtn.disabled = false;
			}
		} },
		...row('Classification', 'classification', f.classification),
		...row('Captions', 'captions', f.captions, 'Distribution captions (NOFORN, EXDIS, …), comma-separated, most restrictive first.'),
		...row('Precedence', 'precedence', f.precedence),
		...row('INFO precedence', 'info_precedence', f.info_precedence),
		...row('TO', 'to', f.to, 'Posts, comma-separated, from the directory.'),
		...row('INFO', 'info', f.info),
		...row('ATTN', 'attn', f.attn, 'Narrow to officers (handle) or roles at the addressed posts.'),
		...row('TAGS', 'tags', f.tags, 'Subject tags, comma-separated (PREL, ECON, …).'),
		...row('Subject', 'subject', f.subject),
		...row('REF', 'refs', f.refs, 'MRNs of the cables this one refers to ("26 HQ 000012").'),
		...row('Declassify on', 'declassify_on', f.declassify_on, 'A date, or an event below: one of the two. Proposed by the ministry\'s records schedule for the classification and TAGS.'),
		...row('Declassify on event', 'declassify_event', f.declassify_event, 'Instead of a date: "Conclusion of the treaty".'),
		...row('Retention', 'retention', f.retention, 'How long the ministry\'s archive keeps the cable: a class of the records schedule.'),
		...row('Text', 'body', f.body),
		...row('Attachments', 'files', el('div', {}, keptList, f.files, progress)),
		el('div', { class: 'buttons' }, sendBtn, saveBtn),
		dl('posts', posts), dl('people', [...officers, ...roles]), retentions);
		// the records schedule's proposals fill what the officer has not written (nothing on a draft that has them)
		const decl = [f.declassify_on, f.declassify_event, f.retention];
		const own = new Set(decl.filter((i) => i.value));
		const proposeDefaults = async () => {
			try {
				const p = await api('POST', '/api/defaults', dropEmpty({ classification: f.classification.value, tags: split(f.tags.value).map((t) => t.toUpperCase()) }));
				retentions.replaceChildren(...(p.retentions || []).map((v) => el('option', { value: v })));
				const mine = own.has(f.declassify_on) || own.has(f.declassify_event);
				if (!mine) { f.declassify_on.value = p.declassify_on || ''; f.declassify_event.value = p.declassify_event || ''; }
				if (!own.has(f.retention)) f.retention.value = p.retention || '';
			} catch (e) { /* the schedule's proposal is a help: without it the cable gets it when sealed */ }
		};
		for (const i of decl) i.addEventListener('input', () => own.add(i));
		// a date and an event exclude each other: writing one clears the other
		f.declassify_on.addEventListener('input', () => { if (f.declassify_on.value) f.declassify_event.value = ''; own.add(f.declassify_event); });
		f.declassify_event.addEventListener('input', () => { if (f.declassify_event.value) f.declassify_on.value = ''; own.add(f.declassify_on); });
		f.classification.addEventListener('change', proposeDefaults);
		f.tags.addEventListener('change', proposeDefaults);
		proposeDefaults();
		const note = dir.error ? message('info', 'The directory could not be loaded: type the posts by name.')
			: dir.kept_at ? message('info', `Offline: the directory as this device kept it on ${new Date(dir.kept_at * 1000).toLocaleString()}.`) : null;
		return [note, form, out];
	}

	async function viewCompose(kind, id) {
		show('New cable', el('p', { class: 'loading', text: 'Loading…' }));
		if (kind === 'reply' && id) {
			try {
				const d = await api('GET', `/api/reply/${id}`);
				show(`Reply to ${(d.refs || [])[0] || ''}`, ...(await composeForm(d, { reply: true })));
			} catch (e) { show('Reply', errorBox(e)); }
			return;
		}
		if (kind === 'draft' && id) {
			try {
				const d = await api('GET', `/api/drafts/${id}`);
				show('Draft', ...(await composeForm(d, { draftId: id })));
			} catch (e) { show('Draft', errorBox(e)); }
			return;
		}
		show('New cable', ...(await composeForm({}, {})));
	}

	async function viewDrafts() {
		show('Drafts', el('p', { class: 'loading', text: 'Loading…' }));
		try {
			const j = await api('GET', '/api/drafts');
			const items = (j.drafts || []).filter((d) => !d.queued);
			const rows = items.map((d) => el('tr', {},
				el('td', { lang: 'ja' }, el('a', { class: 'open', href: `#/compose/draft/${d.id}`, text: d.subject || '(no subject)' })),
				el('td', { text: d.updated ? new Date(d.updated * 1000).toLocaleString() : '' }),
				el('td', {}, el('button', { type: 'button', class: 'secondary', text: 'Delete', 'aria-label': `Delete draft ${d.subject || ''}`, onclick: async () => {
					try { await api('DELETE', `/api/drafts/${d.id}`); viewDrafts(); } catch (e) { main().append(errorBox(e)); }
				} }))));
			show('Drafts', el('p', { text: 'Drafts are kept on this device, sealed under its storage key.' }),
				rows.length ? el('table', { class: 'list' }, el('caption', { class: 'visually-hidden', text: 'Drafts' }),
					el('thead', {}, el('tr', {}, ...['Subject', 'Saved', ''].map((h) => el('th', { scope: 'col', text: h })))), el('tbody', {}, rows))
					: el('p', { class: 'empty', text: 'No drafts.' }));
		} catch (e) { show('Drafts', errorBox(e)); }
	}

	function main() { return document.getElementById('main'); }

	async function viewOutbox() {
		show('Outbox', el('p', { class: 'loading', text: 'Loading…' }));
		try {
			const j = await api('GET', '/api/outbox');
			const items = j.outbox || [];
			const rows = items.map((o) => el('tr', {},
				el('td', {}, prec(o.precedence || 'ROUTINE')), el('td', { lang: 'ja', text: o.subject || '' }),
				el('td', { text: (o.to || []).join(', ') }),
				el('td', { text: o.queued ? new Date(o.queued * 1000).toLocaleString() : '' }),
				el('td', { text: o.failed ? `refused: ${o.error || ''}` : (o.error ? `waiting: ${o.error}` : 'waiting') })));
			const sendNow = el('button', { type: 'button', text: 'Send now', onclick: async () => {
				sendNow.disabled = true;
				try {
					const r = await api('POST', '/api/outbox/send');
					main().append(message('ok', `Sent ${r.sent || 0}; ${r.waiting || 0} still waiting.`));
					setTimeout(viewOutbox, 800);
				} catch (e) { main().append(errorBox(e)); sendNow.disabled = false; }
			} });
			show('Outbox', el('p', { text: 'Cables waiting for the switch. They are sent by themselves, FLASH first, as soon as it can be reached.' }),
				items.length ? el('table', { class: 'list' }, el('caption', { class: 'visually-hidden', text: 'Outbox' }),
					el('thead', {}, el('tr', {}, ...['Precedence', 'Subject', 'TO', 'Queued', 'State'].map((h) => el('th', { scope: 'col', text: h })))), el('tbody', {}, rows))
					: el('p', { class: 'empty', text: 'Nothing waiting.' }),
				items.length ? el('div', { class: 'actions' }, sendNow) : null);
		} catch (e) { show('Outbox', errorBox(e)); }
	}

	Object.assign(window.denpo.views, { compose: viewCompose, drafts: viewDrafts, outbox: viewOutbox });
	void state;
})();
