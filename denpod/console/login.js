// denpod console: the login page (POST /login; the session is a cookie, and its key, which every
// API request must carry in X-Denpo-Key, comes in the answer: kept in this tab's sessionStorage,
// where only this origin's pages read it).
'use strict';

document.getElementById('login').addEventListener('submit', async (ev) => {
	ev.preventDefault();
	const err = document.getElementById('login-error');
	const user = document.getElementById('user');
	const pass = document.getElementById('password');
	err.textContent = '';
	if (!user.value || !pass.value) {
		err.textContent = 'Give your operator name and password.';
		(user.value ? pass : user).focus();
		return;
	}
	let r;
	try {
		r = await fetch('/login', {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ user: user.value, password: pass.value }),
			credentials: 'same-origin',
		});
	} catch (e) {
		err.textContent = 'The console does not answer: is `denpod console` still running?';
		return;
	}
	pass.value = '';
	if (r.ok) {
		const j = await r.json().catch(() => ({}));
		if (j.key) {
			sessionStorage.setItem('denpo_key', j.key);
			window.location.replace('/');
			return;
		}
	}
	let msg = 'Log in refused.';
	try {
		const j = await r.json();
		msg = j.message + (j.hint ? ` (${j.hint})` : '');
	} catch (e) { /* the status says enough */ }
	err.textContent = r.status === 429 ? `Too many failed log-ins: ${msg}` : `Log in refused: ${msg}`;
	pass.focus();
});
