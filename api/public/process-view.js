// 처리 흐름도: draws a lifecycle's BPMN model with bpmn-js (the NavigatedViewer bundle, served by this server, loaded
// before this script) and marks the case's current and past steps named by the container's data attributes.
// A separate file from app.js so only the pages with a process view load the viewer.
(() => {
  const SHOWN = 'process-view-ready';

  const say = (container, text) => {
    const message = document.createElement('p');
    message.className = 'process-view-message';
    message.textContent = text;
    container.replaceChildren(message);
  };

  const draw = async (container) => {
    // Set before anything can fail, so a test (or a person with developer tools) can tell a failed view from a slow one.
    container.dataset.processViewState = 'loading';
    if (typeof window.BpmnJS !== 'function') throw new Error('bpmn-js가 로드되지 않았습니다.');
    const response = await fetch(container.dataset.processModel, { credentials: 'same-origin', headers: { Accept: 'application/xml' } });
    if (!response.ok) throw new Error(`처리 흐름도를 받지 못했습니다 (HTTP ${response.status}).`);
    const xml = await response.text();
    container.replaceChildren();
    const viewer = new window.BpmnJS({ container });
    const { warnings } = await viewer.importXML(xml);
    // A model bpmn-js only half understands would be drawn with parts missing: say so rather than mislead.
    if (warnings.length > 0) {
      container.dataset.processViewWarnings = warnings.map((warning) => warning.message).join('\n');
      throw new Error('처리 흐름도 파일에 문제가 있습니다.');
    }
    const registry = viewer.get('elementRegistry');
    const canvas = viewer.get('canvas');
    const missing = [];
    const mark = (id, marker) => {
      if (registry.get(id)) canvas.addMarker(id, marker);
      else missing.push(id);
    };
    for (const id of (container.dataset.pastSteps || '').split(' ').filter(Boolean)) mark(id, 'process-view-past');
    if (container.dataset.currentStep) mark(container.dataset.currentStep, 'process-view-current');
    if (missing.length > 0) container.dataset.processViewMissing = missing.join(' ');
    canvas.zoom('fit-viewport');
    container.dataset.processViewState = SHOWN;
  };

  for (const container of document.querySelectorAll('[data-process-model]')) {
    if (container.dataset.processViewState) continue;
    draw(container).catch((error) => {
      container.dataset.processViewState = 'failed';
      say(container, `처리 흐름도를 표시할 수 없습니다. 아래 단계 목록을 보십시오. (${error.message})`);
    });
  }
})();
