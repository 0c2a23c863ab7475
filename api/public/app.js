// The UI's only script. A page restored from the browser's back/forward cache was never asked from
// the server again, so after logout it would still show the user's data: load it anew instead, and the
// server answers with the login page.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) window.location.reload();
});
