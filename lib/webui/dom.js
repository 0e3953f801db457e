// lib/webui/dom.js - what the pages of `denpo ui` and `denpod console` share
// (served by lib/webui.c at /webui/dom.js, loaded before the page's own
// script): building elements.  Text is only ever put in as text (a text
// node or textContent), never parsed as markup: whatever a cable, an alert
// or a name says is shown as it is.
'use strict';

// el('tr', {class: 'x', text: 'y', onclick: fn, 'aria-label': 'z'}, child, [children], 'text', ...)
function el(tag, attrs, ...kids) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false) continue;
		if (k === 'class') e.className = v;
		else if (k === 'text') e.textContent = v;
		else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
		else e.setAttribute(k, v === true ? '' : String(v));
	}
	for (const k of kids.flat()) {
		if (k === null || k === undefined || k === false) continue;
		e.append(k instanceof Node ? k : document.createTextNode(String(k)));
	}
	return e;
}
