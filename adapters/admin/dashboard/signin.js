// The sign-in panel, for an engine whose admin API asks for a token (admin.tokens). The page
// shows it on the first 401 and hides its figures until a token is accepted: it keeps the
// panel up while the token is being tried ("checking"), so a wrong token never flashes an
// empty dashboard, and goes back to it with "not accepted" when the engine answers 401 again.
// An engine without tokens never answers 401, and then the panel never shows.
//
// The token is read from the input and handed to api.js, which keeps it in the browser's
// storage and sends it in a header; it is never put in the address, the page or the console.

import * as api from "./api.js";
import { t } from "./i18n.js";
import { $ } from "./view.js";

// hidden, or why the panel shows: required (no token yet), rejected (a 401 to the token
// sent), checking (a token entered, no answer yet), signed_out (the sign-out button).
const panel = { state: "hidden", detail: "" };
let callbacks = { signedIn: () => {}, signedOut: () => {} };

// `onSignedOut` runs when the panel comes up (the page stops polling and forgets its figures),
// `onSignedIn` when a token is entered (the page polls again with it).
export function initSignIn(onSignedIn, onSignedOut) {
  callbacks = { signedIn: onSignedIn, signedOut: onSignedOut };
  api.onUnauthorized(({ tokenSent, error }) => {
    if (tokenSent) {
      api.clearToken();  // wrong or no longer valid: not sent again
    }
    show(tokenSent ? "rejected" : "required", tokenSent ? error : "");
  });
  api.onAnswered(() => {
    if (panel.state === "checking") {
      panel.state = "hidden";
      drawSignIn();
    }
  });
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  $("sign-out").addEventListener("click", () => {
    api.clearToken();
    show("signed_out", "");
  });
  drawSignIn();
}

// True while the page has no accepted token to show figures with.
export function signInShown() {
  return panel.state !== "hidden";
}

function show(state, detail) {
  const wasPolling = panel.state === "hidden" || panel.state === "checking";
  panel.state = state;
  panel.detail = detail;
  drawSignIn();
  if (wasPolling) {
    callbacks.signedOut();
  }
  $("sign-in-token").focus();
}

function submit() {
  const input = $("sign-in-token");
  const value = input.value.trim();
  input.value = "";
  // RFC 6750 §2.1: a bearer token is visible ASCII; anything else cannot go in a header.
  if (!/^[\x21-\x7e]+$/.test(value)) {
    show("rejected", "");
    return;
  }
  api.setToken(value);
  panel.state = "checking";
  panel.detail = "";
  drawSignIn();
  callbacks.signedIn();
}

// Draws the panel and the sign-out button in the page's language.
export function drawSignIn() {
  const shown = signInShown();
  document.body.classList.toggle("signed-out", shown);
  const el = $("sign-in");
  el.hidden = !shown;
  el.dataset.state = panel.state;
  $("sign-in-message").textContent = shown ? t("sign_in_" + panel.state) : "";
  const detail = $("sign-in-detail");
  detail.textContent = panel.detail;
  detail.hidden = !panel.detail;
  $("sign-in-token").disabled = panel.state === "checking";
  $("sign-in-submit").disabled = panel.state === "checking";
  $("sign-out").hidden = shown || !api.hasToken();
}
