// tests/browser/console.mjs - `denpod console` in headless Chromium (run by tests/it_console.sh,
// which starts the switch and the console and checks the results with the CLI afterwards).
//
// Operator A logs in (a wrong password first), sees the alert of a decoy touch (run here, by
// $TOUCH, once the page is open) appear with its explanation, undoes its containment step from
// the keyboard; asks to revoke a device ($SUZ), cannot approve that itself; operator B, in a
// second browser context, approves it.  Every view is checked with axe-core (no serious or
// critical violation) and with the Content-Security-Policy left on (no violation reported).
// DENPO_SCREENSHOTS=DIR: each view saved as DIR/console-<view>.png.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { launch, check, failures, axe, cspWatch } from './lib.mjs';

const env = (k) => {
	if (!process.env[k]) throw new Error(`console.mjs: $${k} is not set`);
	return process.env[k];
};
const URL = env('CONSOLE_URL');
const [OP_A, PW_A, OP_B, PW_B, TOUCH, TAN, SUZ] =
	['OP_A', 'PW_A', 'OP_B', 'PW_B', 'TOUCH', 'TAN', 'SUZ'].map(env);
const SHOTS = process.env.DENPO_SCREENSHOTS;

async function shot(page, name) {
	if (!SHOTS) return;
	mkdirSync(SHOTS, { recursive: true });
	await page.screenshot({ path: `${SHOTS}/console-${name}.png`, fullPage: true });
}

async function accessible(page, what) {
	const v = await axe(page);
	check(v.length === 0, `axe: no serious or critical violation (${what})`,
		v.map((x) => `${x.id} ${x.impact}: ${x.help} at ${x.nodes.join(', ')}`).join('; '));
}

async function login(page, user, pass) {
	await page.goto(`${URL}/`);
	await page.waitForSelector('#login');
	await page.fill('#user', user);
	await page.fill('#password', pass);
	await page.press('#password', 'Enter');
	await page.waitForURL(`${URL}/`, { timeout: 10000 });
	await page.waitForFunction((u) => document.getElementById('who').textContent === u, user);
}

// Opens a view from the navigation, as a user does.
async function view(page, name) {
	await page.click(`nav a[data-view="${name}"]`);
	await page.waitForSelector(`#view-${name}:not([hidden])`);
}

// Confirms the dialog an act opened, with a reason; returns the view's result line.
async function confirm(page, reason) {
	await page.waitForSelector('dialog#confirm[open]');
	if (reason) await page.fill('#confirm-reason', reason);
	await page.click('#confirm-ok');
	await page.waitForSelector('dialog#confirm', { state: 'hidden' });
	const r = page.locator('main section:not([hidden]) .result');
	await r.waitFor();
	return r.textContent();
}

const browser = await launch();
try {
	const ctxA = await browser.newContext({ viewport: { width: 1280, height: 900 } });
	const a = await ctxA.newPage();
	const csp = cspWatch(a);

	// ---- log in ----
	await a.goto(`${URL}/`);
	check(a.url() === `${URL}/login.html`, 'no session: the console leads to the login page', a.url());
	await accessible(a, 'login page');
	await shot(a, 'login');
	await a.fill('#user', OP_A);
	await a.fill('#password', 'not-the-password-1');
	await a.press('#password', 'Enter');
	await a.waitForFunction(() => document.getElementById('login-error').textContent !== '');
	check(/refused/i.test(await a.textContent('#login-error')), 'a wrong password is refused, said on the page',
		await a.textContent('#login-error'));
	check(a.url() === `${URL}/login.html`, '... and no session opens');
	await login(a, OP_A, PW_A);
	check(true, `operator ${OP_A} is logged in`);
	await a.waitForSelector('#alerts > *');
	check(await a.locator('article.alert', { hasText: 'DECOY' }).count() === 0, 'no DECOY alert before the touch');

	// ---- a decoy touched: the alert appears with its explanation ----
	execFileSync('/bin/sh', [TOUCH]);
	const card = a.locator('article.alert', { hasText: 'DECOY' }).first();
	await card.waitFor({ timeout: 15000 });
	check(true, 'the decoy-touch alert appears in the console');
	const head = await card.locator('h2').textContent();
	check(/tanaka\.h at WASHINGTON/.test(head), 'the alert names the officer and post', head);
	const explain = await card.locator('.explain').textContent();
	check(/decoy cable/.test(explain), 'the alert carries its explanation (what the switch saw)', explain);
	check(/decoy cable/i.test(await card.locator('.meaning').textContent()), 'and what the rule means');
	check((await card.getAttribute('class')).includes('open'), 'an alert with an active step is marked open');
	const stepText = await card.locator('.step').textContent();
	check(/suspend/.test(stepText) && /active/.test(stepText), 'the alert shows its containment step', stepText);
	check(await card.locator('code').first().getAttribute('title') === TAN, "the alert's device is tanaka.h's");
	await a.waitForFunction(() => /new alert/.test(document.getElementById('announce').textContent));
	check(true, 'the new alert is announced to screen readers');
	await accessible(a, 'alerts');
	await shot(a, 'alerts');

	// ---- undo, from the keyboard ----
	const undo = card.locator('button[data-act^="undo-"]');
	await undo.focus();
	await a.keyboard.press('Enter');
	await a.waitForSelector('dialog#confirm[open]');
	check(/Undo containment step/.test(await a.textContent('#confirm-title')), 'undo asks for confirmation');
	check(await a.evaluate(() => document.activeElement.id) === 'confirm-reason', 'the dialog takes the focus');
	await accessible(a, 'confirmation dialog');
	await shot(a, 'confirm');
	await a.keyboard.type('false alarm: test touch');
	await a.keyboard.press('Enter');
	await a.waitForSelector('dialog#confirm', { state: 'hidden' });
	const res = a.locator('#view-alerts .result');
	await res.waitFor();
	const said = await res.textContent();
	check(/undone \(device reinstated\)/.test(said), 'undo: the device is reinstated', said);
	await a.waitForFunction(() => /undone/.test(document.querySelector('article.alert .step').textContent));
	check(true, 'the alert now shows its step undone');

	// ---- containment steps ----
	await view(a, 'steps');
	await a.check('#steps-all');
	await a.locator('#steps table').waitFor();
	check(await a.locator('#steps tr', { hasText: 'undone' }).count() >= 1, 'containment: the undone step is listed with --all');
	await accessible(a, 'containment');
	await shot(a, 'containment');

	// ---- a two-operator act: A asks to revoke a device ----
	await view(a, 'devices');
	const row = a.locator('#devices tr', { hasText: SUZ.slice(0, 16) });
	await row.waitFor();
	await accessible(a, 'devices');
	await shot(a, 'devices');
	await row.getByRole('button', { name: /^Revoke/ }).click();
	const asked = await confirm(a, 'lost in transit (test)');
	check(/revocation of device .* is requested by/.test(asked), 'revoke: requested, waiting for a second operator', asked);
	check(/active/.test(await row.textContent()), '... the device is still active');
	await view(a, 'approvals');
	const req = a.locator('#approvals tr', { hasText: SUZ.slice(0, 16) });
	await req.waitFor();
	check(/another operator must approve/.test(await req.textContent()), 'approvals: the request says it needs another operator');
	check(/suzuki\.a's device at WASHINGTON/.test(await req.textContent()), "approvals: whose device it is");
	await accessible(a, 'approvals');
	await shot(a, 'approvals');
	await req.getByRole('button', { name: /^Approve/ }).click();
	const own = await confirm(a);
	check(/Refused: .*another operator/.test(own), 'the operator who asked cannot approve', own);

	// ---- B approves in a second browser context ----
	const ctxB = await browser.newContext({ viewport: { width: 1280, height: 900 } });
	const b = await ctxB.newPage();
	const cspB = cspWatch(b);
	// which API requests say they are the operator's acts (X-Denpo-Activity): the polling must not
	const apiReqs = [];
	b.on('request', (r) => {
		if (new globalThis.URL(r.url()).pathname.startsWith('/api/'))
			apiReqs.push({ key: !!r.headers()['x-denpo-key'], act: r.headers()['x-denpo-activity'] === '1' });
	});
	await login(b, OP_B, PW_B);
	check(true, `operator ${OP_B} is logged in (a second browser context)`);
	await view(b, 'approvals');
	const reqB = b.locator('#approvals tr', { hasText: SUZ.slice(0, 16) });
	await reqB.waitFor();
	await reqB.getByRole('button', { name: /^Approve/ }).click();
	const approved = await confirm(b, 'second operator (test)');
	check(/is now revoked/.test(approved), 'the second operator approves: the device is revoked', approved);
	await view(a, 'devices');
	await a.waitForFunction((id) => [...document.querySelectorAll('#devices tr')]
		.some((r) => r.textContent.includes(id) && /revoked/.test(r.textContent)), SUZ.slice(0, 16));
	check(true, "A's console shows the device revoked");

	// ---- overdue by post, the log and its witnesses, fetch rates ----
	await view(a, 'overdue');
	await a.locator('#overdue h2', { hasText: 'WASHINGTON' }).waitFor();
	check(await a.locator('#overdue tr.flash').count() >= 1, 'overdue: the FLASH nobody fetched, under WASHINGTON');
	await accessible(a, 'overdue');
	await shot(a, 'overdue');
	await view(a, 'log');
	await a.locator('#checkpoint dl.facts').waitFor();
	const facts = await a.textContent('#checkpoint dl.facts');
	check(/entries/.test(facts) && /Posts that witnessed it/.test(facts), 'log: the checkpoint, its size and root', facts);
	const posts = await a.locator('#checkpoint table').first().textContent();
	check(/HQ/.test(posts) && /WASHINGTON/.test(posts), 'log: every post, with what it witnessed', posts);
	check(await a.locator('#checkpoint .state.witnessed, #checkpoint .state.behind').count() >= 1,
		'log: at least one post has witnessed a checkpoint');
	await accessible(a, 'log');
	await shot(a, 'log');
	await view(a, 'rates');
	await a.locator('#rates svg.chart polyline').first().waitFor();
	check(/WASHINGTON/.test(await a.textContent('#rates ul.legend')), 'fetch rates: a line for WASHINGTON');
	check(/WASHINGTON 3/.test(await a.textContent('#rates svg desc')), 'fetch rates: its three fetches',
		await a.textContent('#rates svg desc'));
	await accessible(a, 'fetch rates');
	await shot(a, 'rates');

	// ---- keyboard: the first Tab reaches the skip link ----
	// (the same tab, loaded again: the session's key is this tab's, a new tab logs in anew)
	const k = a;
	await k.goto(`${URL}/`);
	await k.waitForSelector('#alerts > *');
	await k.keyboard.press('Tab');
	check(await k.evaluate(() => document.activeElement.className) === 'skip', 'the first Tab stop is "Skip to content"');
	await k.keyboard.press('Enter');
	check(await k.evaluate(() => document.activeElement.id) === 'main', '... which moves the focus to the content');

	check(apiReqs.length > 0 && apiReqs.every((r) => r.key), 'every API request carries the session\'s key',
		JSON.stringify(apiReqs.filter((r) => !r.key).slice(0, 3)));
	check(apiReqs.some((r) => r.act) && apiReqs.some((r) => !r.act),
		'navigation and acts say X-Denpo-Activity, the polling does not (idle sessions end)',
		`${apiReqs.filter((r) => r.act).length} of ${apiReqs.length}`);

	// ---- logging out ends the session ----
	const key = await b.evaluate(() => sessionStorage.getItem('denpo_key'));
	await b.click('#logout');
	await b.waitForURL(`${URL}/login.html`);
	const after = await b.evaluate(async (k) => (await fetch('/api/alerts', { headers: { 'X-Denpo-Key': k } })).status, key);
	check(key && after === 401, 'after logging out, the API answers 401, the key too', after);
	check(await b.evaluate(() => sessionStorage.getItem('denpo_key')) === null, '... and the page forgot the key');

	check(csp.length === 0 && cspB.length === 0, 'no Content-Security-Policy violation', [...csp, ...cspB].join('; '));
} catch (e) {
	check(false, 'the browser test ran to its end', e.stack || String(e));
} finally {
	await browser.close();
}
process.exit(failures() ? 1 : 0);
