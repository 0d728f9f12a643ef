// What every sigcard page's script shares: the token from the address the
// program printed (#token=...), kept for this tab only and taken out of
// the address bar, so it is neither bookmarked nor shown over a shoulder.
"use strict";

function sigcardToken() {
	const m = /(?:^#|&)token=([A-Za-z0-9._~-]+)/.exec(location.hash);
	if (m) {
		sessionStorage.setItem("sigcard-token", m[1]);
		history.replaceState(null, "", location.pathname);
	}
	return sessionStorage.getItem("sigcard-token");
}
