// The UI's only script. A page restored from the browser's back/forward cache was never asked from
// the server again, so after logout it would still show the user's data: load it anew instead, and the
// server answers with the login page.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) window.location.reload();
});

// The recipient's signature pad (Form 2). The drawing stays transparent where there is no ink, so the PNG the
// server receives is the signature alone; the server checks it again and refuses an empty one.
for (const form of document.querySelectorAll('form[data-signature-form]')) {
  const pad = form.querySelector('canvas[data-signature-pad]');
  const field = form.querySelector('input[name="signature"]');
  const message = form.querySelector('[data-signature-message]');
  const context = pad.getContext('2d');
  context.lineWidth = 3;
  context.lineCap = 'round';
  context.lineJoin = 'round';
  context.strokeStyle = '#10205f';
  let drawing = false;
  let inked = false;
  const point = (event) => {
    const box = pad.getBoundingClientRect();
    return { x: ((event.clientX - box.left) * pad.width) / box.width, y: ((event.clientY - box.top) * pad.height) / box.height };
  };
  pad.addEventListener('pointerdown', (event) => {
    drawing = true;
    pad.setPointerCapture(event.pointerId);
    const { x, y } = point(event);
    context.beginPath();
    context.moveTo(x, y);
  });
  pad.addEventListener('pointermove', (event) => {
    if (!drawing) return;
    const { x, y } = point(event);
    context.lineTo(x, y);
    context.stroke();
    inked = true;
    message.hidden = true;
  });
  const stop = () => {
    drawing = false;
  };
  pad.addEventListener('pointerup', stop);
  pad.addEventListener('pointercancel', stop);
  form.querySelector('[data-signature-clear]').addEventListener('click', () => {
    context.clearRect(0, 0, pad.width, pad.height);
    inked = false;
    field.value = '';
  });
  form.addEventListener('submit', (event) => {
    if (!inked) {
      event.preventDefault();
      message.hidden = false;
      pad.focus();
      return;
    }
    field.value = pad.toDataURL('image/png');
  });
}
