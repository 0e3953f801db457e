// tests/browser/ui.mjs - `denpo ui` in headless Chromium, through the real
// programs (tests/it_ui.sh starts the switch and one `denpo ui` per officer):
//   the sender composes a FLASH in the UI; the recipient's UI rings (sound,
//   desktop notification, announcement) and lists it first; the recipient
//   reads it (banners, verification, Japanese text) and acknowledges it; the
//   sender sees the receipt; a subject `<img src=x onerror=...>` is shown as
//   text and the CSP blocks an injected script; a page of another origin
//   cannot make the UI act; axe-core finds no serious or critical violation;
//   with the switch stopped, the UI says it is offline, reads a held cable
//   verified with what the device kept, and queues a send, which goes by
//   itself when the switch is back.
// Environment: SENDER_URL (a one-time link), RECIPIENT_OPEN (the file URL
// `denpo ui` gave xdg-open), SUBJECT, BODY_TEXT,
// EVIL_PORT (a free port for the other origin), STOP_SWITCH and START_SWITCH
// (shell commands), SHOTS (a directory for screenshots, optional).
import http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { launch, check, failures, axe, cspWatch } from './lib.mjs';

const env = (k) => { if (!process.env[k]) throw new Error(`${k} not set`); return process.env[k]; };
const SENDER_URL = env('SENDER_URL');
// the recipient's UI opened "the browser" as `denpo ui` does (xdg-open of a 0600 page that forwards to
// the one-time link): the test's browser opens that page
const RECIPIENT_OPEN = env('RECIPIENT_OPEN');
const RECIPIENT_URL = (readFileSync(new URL(RECIPIENT_OPEN), 'utf8').match(/url=([^"]+)"/) || [])[1] || '';
const SUBJECT = env('SUBJECT');
const BODY_TEXT = env('BODY_TEXT');
const SHOTS = process.env.SHOTS || '';
const origin = (u) => new URL(u).origin;

// Counts what the page did to ring: AudioContext oscillators started and
// desktop notifications made (the test's own wrappers, put in before the page's script runs).
const RING_PROBE = () => {
	window.__rings = { tones: 0, notes: [] };
	const Ctx = window.AudioContext;
	if (Ctx) {
		const orig = Ctx.prototype.createOscillator;
		Ctx.prototype.createOscillator = function (...a) {
			const o = orig.apply(this, a);
			const start = o.start.bind(o);
			o.start = (...b) => { window.__rings.tones++; return start(...b); };
			return o;
		};
	}
	const N = window.Notification;
	window.Notification = class extends N {
		constructor(title, opts) { super(title, opts); window.__rings.notes.push(`${title}: ${opts && opts.body}`); }
	};
	Object.defineProperty(window.Notification, 'permission', { get: () => N.permission });
	window.Notification.requestPermission = N.requestPermission.bind(N);
};

async function audit(page, what) {
	const v = await axe(page);
	check(v.length === 0, `axe: no serious or critical violation on ${what}`,
		v.map((x) => `${x.id} (${x.impact}): ${x.help} at ${x.nodes.join(', ')}`).join('; '));
}

async function shot(page, name) {
	if (SHOTS) await page.screenshot({ path: `${SHOTS}/ui-${name}.png`, fullPage: true });
}

const browser = await launch();
try {
	const sctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
	const rctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
	await rctx.grantPermissions(['notifications'], { origin: origin(RECIPIENT_URL) });
	await rctx.addInitScript(RING_PROBE);
	const sender = await sctx.newPage();
	const recipient = await rctx.newPage();
	const dialogs = [];
	for (const p of [sender, recipient]) p.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
	const csp = cspWatch(recipient);

	// ---- both sign in with their one-time links ----
	check(/^http:\/\/127\.0\.0\.1:\d+\/login\?token=[0-9a-f]{64}$/.test(RECIPIENT_URL), 'the page xdg-open got forwards to a one-time link', RECIPIENT_URL);
	await recipient.goto(RECIPIENT_OPEN);
	await recipient.waitForSelector('#who:not(:empty)');
	check((await recipient.textContent('#who')).includes('tanaka.h'), 'the recipient is signed in through the page denpo ui opened');
	check(!existsSync(new URL(RECIPIENT_OPEN)), 'that page is removed once the session began');
	await sender.goto(SENDER_URL);
	await sender.waitForSelector('#who:not(:empty)');
	await recipient.waitForSelector('h1:text("Inbox")');
	await audit(recipient, 'the inbox');
	const again = await (await browser.newContext()).newPage();
	const r2 = await again.goto(RECIPIENT_URL);
	check(r2.status() === 403, 'the one-time link does not open a second session', r2.status());

	// ---- the sender composes a FLASH in the UI ----
	await sender.goto(`${origin(SENDER_URL)}/#/compose`);
	await sender.waitForSelector('form.compose');
	await audit(sender, 'the compose form');
	await sender.selectOption('#classification', 'SECRET');
	await sender.selectOption('#precedence', 'FLASH');
	await sender.selectOption('#info_precedence', 'FLASH');
	await sender.fill('#to', 'WASHINGTON');
	await sender.fill('#tags', 'PREL');
	await sender.fill('#subject', SUBJECT);
	await sender.fill('#body', BODY_TEXT);
	// the records schedule (the built-in one: this switch has none) proposes declassification and retention
	await sender.waitForFunction(() => document.querySelector('#retention').value === 'PERMANENT', null, { timeout: 10000 }).catch(() => {});
	const declOn = await sender.inputValue('#declassify_on');
	const want = `${new Date().getUTCFullYear() + 30}-`;
	check(declOn.startsWith(want), 'the compose form proposes declassification 30 years on (the built-in schedule)', declOn);
	check(await sender.inputValue('#retention') === 'PERMANENT', 'the compose form proposes the retention PERMANENT', await sender.inputValue('#retention'));
	await shot(sender, 'compose');
	// the cable format allows attachment names of [A-Za-z0-9._-]: the form says so before sending
	await sender.setInputFiles('#files', { name: '報告.txt', mimeType: 'text/plain', buffer: Buffer.from('添付ファイル\n') });
	await sender.click('button[type=submit]');
	await sender.waitForSelector('#compose-result .message.error');
	check((await sender.textContent('#compose-result')).includes('A-Z a-z 0-9'), 'an attachment name the format does not allow is refused with what to do');
	await sender.setInputFiles('#files', { name: 'houkoku-20261207.txt', mimeType: 'text/plain', buffer: Buffer.from('添付ファイル\n') });
	await sender.click('button[type=submit]');
	await sender.waitForSelector('#compose-result .message.ok, #compose-result .message.error', { timeout: 30000 });
	const sent = await sender.textContent('#compose-result');
	check(/Sent: \d\d [A-Z]+ \d{6,15}/.test(sent), 'the FLASH is sent from the UI with its MRN', sent);
	const mrn = (sent.match(/\d\d [A-Z]+ \d{6,15}/) || [''])[0];

	// ---- the recipient's UI rings and lists it first ----
	await recipient.waitForSelector(`table.list tbody tr:first-child td.mrn:has-text("${mrn}")`, { timeout: 15000 });
	const first = await recipient.$eval('table.list tbody tr:first-child', (tr) => tr.className);
	check(first.includes('flash'), 'the FLASH is listed first, marked', first);
	const rings = await recipient.evaluate(() => window.__rings);
	check(rings.tones > 0, 'the recipient\'s UI sounds a tone for the FLASH', JSON.stringify(rings));
	check(rings.notes.some((n) => n.includes('FLASH') && n.includes(mrn)), 'a desktop notification names the FLASH', JSON.stringify(rings.notes));
	check((await recipient.textContent('#announce')).includes('FLASH'), 'the FLASH is announced to screen readers');
	await shot(recipient, 'inbox');

	// ---- reads it: banners, verification, text as text ----
	await recipient.click(`table.list td.mrn a:text("${mrn}")`);
	await recipient.waitForSelector('article.cable');
	const banners = await recipient.$$eval('article.cable .banner', (b) => b.map((x) => x.textContent));
	check(banners.length === 2 && banners.every((b) => b === '極秘 (SECRET)'), 'banners top and bottom: the ministry\'s marking and the signed level', banners.join(' | '));
	check((await recipient.textContent('.verify')).startsWith('Verified'), 'the verification result is shown');
	check((await recipient.textContent('article.cable .body')).includes(BODY_TEXT.trim()), 'the Japanese text reads as sent');
	const subj = await recipient.textContent('h1');
	check(subj === SUBJECT, 'the subject with markup is shown as text', subj);
	check((await recipient.$$('article img, h1 img')).length === 0, 'no element was made from the subject');
	check(dialogs.length === 0, 'no script from the cable ran (no dialog)', dialogs.join(';'));
	check((await recipient.textContent('article.cable')).includes('houkoku-20261207.txt'), 'the attachment is listed by name');
	const fields = await recipient.textContent('article.cable dl.fields');
	check(fields.includes('Retention') && fields.includes('PERMANENT'), 'the reader sees the cable\'s retention', fields);
	const [dl] = await Promise.all([recipient.waitForEvent('download'), recipient.click('button:has-text("Save houkoku-20261207.txt")')]);
	check(readFileSync(await dl.path(), 'utf8') === '添付ファイル\n' && dl.suggestedFilename() === 'houkoku-20261207.txt',
		'the attachment downloads with its name and bytes', dl.suggestedFilename());
	await audit(recipient, 'a cable');
	await shot(recipient, 'read');
	// an injected inline script is blocked by the Content-Security-Policy
	await recipient.evaluate(() => {
		const s = document.createElement('script');
		s.textContent = 'window.__injected = 1';
		document.body.append(s);
	});
	await recipient.waitForTimeout(200);
	check(await recipient.evaluate(() => window.__injected === undefined), 'an injected inline script does not run');
	check(csp.length > 0, 'Chromium reports the Content-Security-Policy blocking it', csp.length);

	// ---- another origin cannot make the UI act (the cookie is SameSite=Strict, Origin is checked) ----
	const cableId = (recipient.url().match(/read\/([0-9a-f]{32})/) || [])[1];
	const evilPort = Number(env('EVIL_PORT'));
	// (it is on 127.0.0.1 too: the browser sends it the UI's cookie, which cookies' rules do not
	// keep to one port; the cookie alone must open nothing)
	let caught = '';
	const evil = http.createServer((req, res) => {
		if (req.url === '/f') {
			caught = req.headers.cookie || '';
			res.end('');
			return;
		}
		res.setHeader('Content-Type', 'text/html');
		res.end(`<!doctype html><title>x</title><form id=f method=POST action="${origin(RECIPIENT_URL)}/api/cables/${cableId}/ack"></form>` +
			`<script>fetch("/f").then(()=>fetch("${origin(RECIPIENT_URL)}/api/cables/${cableId}/ack",{method:"POST",credentials:"include",mode:"no-cors"})).finally(()=>document.getElementById("f").submit())</script>`);
	}).listen(evilPort, '127.0.0.1');
	const evilPage = await rctx.newPage();
	await evilPage.goto(`http://127.0.0.1:${evilPort}/`);
	await evilPage.waitForTimeout(1000);
	evil.close();
	if (check(/denpo_ui=[0-9a-f]{64}/.test(caught), 'a server on another port of 127.0.0.1 does get the UI\'s cookie (cookies ignore ports)', caught)) {
		const u = new URL(RECIPIENT_URL);
		const st = await new Promise((resolve) => http.get({ host: '127.0.0.1', port: u.port, path: '/api/inbox',
			headers: { Cookie: caught, Host: u.host } }, (r) => { r.resume(); resolve(r.statusCode); }).on('error', () => resolve(0)));
		check(st === 401, 'the caught cookie alone opens nothing in the API', st);
	}
	const still = await recipient.evaluate(async (id) => (await (await fetch('/api/inbox', { headers: { 'X-Denpo-Key': sessionStorage.getItem('denpo_key') } })).json()).cables.some((c) => c.cable_id === id), cableId);
	check(still, 'a page of another origin could not acknowledge the cable');

	// ---- acknowledges; the sender sees the receipt ----
	await recipient.click('button:text("Acknowledge")');
	await recipient.waitForSelector('.message.ok:text("Acknowledged")');
	check(true, 'the recipient acknowledges in the UI');
	await sender.goto(`${origin(SENDER_URL)}/#/sent`);
	await sender.waitForSelector(`td.mrn a:text("${mrn}")`);
	const acked = await sender.$eval(`tr:has(td.mrn:has-text("${mrn}")) td.acked`, (td) => td.textContent);
	check(acked === '1', 'the sender\'s Sent view counts the acknowledgement', acked);
	await audit(sender, 'the sent list');
	await sender.click(`td.mrn a:text("${mrn}")`);
	await sender.waitForSelector('h1:text("Receipts")');
	const rc = await sender.textContent('table.list tbody');
	check(rc.includes('tanaka.h') && !rc.includes('–\u2013'), 'the receipt names the recipient with its times', rc);
	await audit(sender, 'the receipts');
	await shot(sender, 'receipts');

	// ---- search, in memory ----
	await recipient.goto(`${origin(RECIPIENT_URL)}/#/search`);
	await recipient.fill('#q', BODY_TEXT.trim().slice(0, 4));
	await recipient.click('form.searchbar button[type=submit]');
	await recipient.waitForSelector('#hits p[role=status]');
	check((await recipient.textContent('#hits')).includes(mrn), 'search by Japanese text finds the cable', await recipient.textContent('#hits'));
	await audit(recipient, 'search');
	await shot(recipient, 'search');

	// ---- offline: the switch stops; what the device holds is read; a send waits in the outbox ----
	const { execSync } = await import('node:child_process');
	execSync(env('STOP_SWITCH'));
	await recipient.goto(`${origin(RECIPIENT_URL)}/#/inbox`);
	await recipient.waitForSelector('#net.offline', { timeout: 20000 });
	const ob = await recipient.textContent('#offline-banner');
	check(/Offline: the switch cannot be reached/.test(ob), 'the UI says plainly that it is offline', ob);
	await recipient.goto(`${origin(RECIPIENT_URL)}/#/read/${cableId}`);
	await recipient.waitForSelector('.verify');
	const vo = await recipient.textContent('.verify');
	check(vo.startsWith('Verified offline') && /kept/.test(vo), 'a held cable is read offline, verified with what the device kept', vo);
	check((await recipient.textContent('article.cable .body')).includes(BODY_TEXT.trim()), 'its text, offline');
	await shot(recipient, 'offline-read');
	await sender.goto(`${origin(SENDER_URL)}/#/compose`);
	await sender.waitForSelector('form.compose');
	await sender.selectOption('#classification', 'CONFIDENTIAL');
	await sender.fill('#to', 'WASHINGTON');
	await sender.fill('#tags', 'ADMN');
	await sender.fill('#subject', '停電中の送信');
	await sender.fill('#body', '1. (C) 回線が戻り次第送られる。');
	await sender.click('button[type=submit]');
	await sender.waitForSelector('#compose-result .message:has-text("outbox"), #compose-result .message.error', { timeout: 30000 });
	const q = await sender.textContent('#compose-result');
	check(/outbox/.test(q), 'a cable sent offline goes to the outbox, and the UI says so', q);
	check(await sender.isDisabled('button:has-text("Save draft")'), 'Save is off once the cable is in the outbox (saving would take it out)');
	await sender.waitForSelector('#outbox-count:text("1")', { timeout: 10000 });
	check(/1 cable waiting in the outbox/.test(await sender.textContent('#offline-banner')), 'the offline line says what waits to go');
	await sender.goto(`${origin(SENDER_URL)}/#/outbox`);
	await sender.waitForSelector('table.list tbody tr');
	check((await sender.textContent('table.list tbody')).includes('停電中の送信'), 'the outbox lists it');
	await audit(sender, 'the outbox');
	await shot(sender, 'outbox');
	execSync(env('START_SWITCH'));
	await sender.waitForSelector('#net.online', { timeout: 30000 });
	await sender.waitForSelector('#outbox-count:empty', { state: 'attached', timeout: 30000 });
	check(true, 'the switch back, the outbox is sent by itself');
	await recipient.goto(`${origin(RECIPIENT_URL)}/#/inbox`);
	await recipient.waitForSelector('table.list td:has-text("CONFIDENTIAL")', { timeout: 30000 });
	check(true, 'the queued cable reaches the recipient');
} finally {
	await browser.close();
}
process.exit(failures() ? 1 : 0);
