// tests/browser/lib.mjs - what the browser tests share: Debian's headless
// Chromium driven by playwright-core, and axe-core's accessibility check.
//
// Chromium is /usr/bin/chromium (Debian's package; $DENPO_CHROMIUM overrides).
// It starts with no network beyond 127.0.0.1 in use, a new empty profile, and
// none of its background connections (this machine's network is closed).
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export async function launch() {
	return chromium.launch({
		executablePath: process.env.DENPO_CHROMIUM || '/usr/bin/chromium',
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync',
			'--autoplay-policy=no-user-gesture-required'],
	});
}

// A check that prints "ok: what" or "FAIL: what" (tests/run.sh counts them).
let failed = 0;
export function check(cond, what, detail) {
	if (cond) {
		console.log(`ok: ${what}`);
	} else {
		failed++;
		console.log(`FAIL: ${what}${detail !== undefined ? ` (${detail})` : ''}`);
	}
	return !!cond;
}
export function failures() { return failed; }

// axe-core run in the page (through the DevTools protocol, so the page's
// Content-Security-Policy, which the tests keep on, does not block it).
// Returns the violations of impact "serious" or "critical".
export async function axe(page) {
	const src = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
	await page.evaluate(src);
	const res = await page.evaluate(async () => {
		// eslint-disable-next-line no-undef
		const r = await axe.run(document, { resultTypes: ['violations'] });
		return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
	});
	return res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

// Content-Security-Policy violations the page reported (collected from the
// console, where Chromium reports each one).
export function cspWatch(page) {
	const seen = [];
	page.on('console', (m) => {
		if (/Content Security Policy/i.test(m.text())) seen.push(m.text());
	});
	return seen;
}
