// lib/webui/signin.js - the page the one-time link answers with: keep this
// session's key (its <meta name="denpo-key">) in this tab's sessionStorage
// and go on to the application.  Every API request sends the key in
// X-Denpo-Key: the session cookie alone opens nothing (a cookie of
// 127.0.0.1 reaches every port there, so another local program could catch
// it; the key stays with this origin's own pages).
'use strict';
(() => {
	const m = document.querySelector('meta[name="denpo-key"]');
	if (m && m.content) sessionStorage.setItem('denpo_key', m.content);
	location.replace('/');
})();
