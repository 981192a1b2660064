"use strict";
// The page talks to the same server's JSON API; nothing is fetched from elsewhere.
const form = document.getElementById("analyze-form");
const input = document.getElementById("text-input");
const csvInput = document.getElementById("csv-input");
const statusEl = document.getElementById("status");
const resultsEl = document.getElementById("results");
const button = document.getElementById("analyze-button");

// a status line's setter: the message, in the error style when isError
function statusLine(element) {
  return (message, isError = false) => {
    element.textContent = message;
    element.className = isError ? "error" : "";
  };
}
const setStatus = statusLine(statusEl);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function bars(title, scores, predicted, limit, top = 1) {
  // top: the value of a full bar (1 for probabilities, 3 for intensities)
  const box = el("div", { class: "bars" }, el("h3", {}, title));
  const entries = Object.entries(scores).sort((a, b) => b[1] - a[1]).slice(0, limit);
  for (const [label, score] of entries) {
    const fill = el("div", { class: "fill" });
    fill.style.width = `${Math.round(Math.min(score / top, 1) * 100)}%`;
    box.append(el("div", { class: predicted.includes(label) ? "bar on" : "bar", "data-label": label },
      el("span", { class: "label" }, label), el("div", { class: "track" }, fill),
      el("span", { class: "value" }, score.toFixed(2))));
  }
  return box;
}

function highlighted(text, evidence) {
  // evidence: [{start, end, weight}] character offsets, when the model provides them
  if (!evidence || !evidence.length) return document.createTextNode(text);
  const span = el("span");
  let at = 0;
  for (const piece of [...evidence].sort((a, b) => a.start - b.start)) {
    if (piece.start < at) continue;
    span.append(text.slice(at, piece.start), el("mark", { title: String(piece.weight) }, text.slice(piece.start, piece.end)));
    at = piece.end;
  }
  span.append(text.slice(at));
  return span;
}

function render(results) {
  resultsEl.replaceChildren();
  for (const result of results) {
    const card = el("article", { class: "result" });
    card.append(el("h2", {}, highlighted(result.text || "(empty text)", result.evidence)));
    const predicted = el("div", { class: "predicted" });
    for (const label of result.labels) predicted.append(el("span", { class: "emotion" }, label));
    card.append(predicted);
    const columns = el("div", { class: "columns" }, bars("Emotions", result.scores, result.labels, 10));
    if (result.ekman) columns.append(bars("Ekman", result.ekman.scores, result.ekman.labels, 7));
    if (result.sentiment) columns.append(bars("Sentiment", result.sentiment.scores, result.sentiment.labels, 4));
    if (result.intensity) columns.append(bars("Intensity (0–3)", result.intensity, [], 5, 3));
    card.append(columns);
    if (result.vad) {
      card.append(el("p", { class: "vad" }, `valence ${result.vad.valence.toFixed(2)} · arousal ${result.vad.arousal.toFixed(2)} · dominance ${result.vad.dominance.toFixed(2)} (1–5, 3 is neutral)`));
    }
    resultsEl.append(card);
  }
}

// a model trained on several languages: the language its texts are read as ("" = the server's)
const languageInput = document.getElementById("language-input");

async function analyze(texts) {
  button.disabled = true;
  setStatus("Analysing…");
  try {
    const response = await fetch("/v1/analyze", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ texts, top_k: 5, ...(languageInput.value && { language: languageInput.value }) }),
    });
    const payload = await response.json();
    if (!response.ok) throw new Error(payload.error ? payload.error.message : response.statusText);
    render(payload.results);
    setStatus(`${payload.results.length} text${payload.results.length === 1 ? "" : "s"} analysed`);
  } catch (error) {
    setStatus(`Error: ${error.message}`, true);
  } finally {
    button.disabled = false;
  }
}

function parseCsv(text) {
  // RFC 4180: quoted fields may hold commas, quotes ("") and newlines
  const rows = [];
  let row = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(field); field = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field); rows.push(row); row = []; field = "";
    } else field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const texts = input.value.split("\n").map((t) => t.trim()).filter(Boolean);
  if (!texts.length) { setStatus("Type a sentence first.", true); return; }
  analyze(texts);
});

csvInput.addEventListener("change", async () => {
  const file = csvInput.files[0];
  if (!file) return;
  const rows = parseCsv(await file.text()).filter((r) => r.some((c) => c.trim()));
  if (rows.length < 2) { setStatus("The CSV needs a header and at least one row.", true); return; }
  const header = rows[0].map((h) => h.trim().toLowerCase());
  const column = Math.max(header.indexOf("text"), 0);
  const texts = rows.slice(1).map((r) => r[column] || "").slice(0, 64);
  input.value = texts.join("\n");
  analyze(texts);
});

// Speech: a recording's emotion and its timeline, from POST /v1/speech
const audioInput = document.getElementById("audio-input");
const speechStatus = document.getElementById("speech-status");

function seconds(value) {
  return `${value.toFixed(1)} s`;
}

function timeline(segments) {
  const box = el("div", { class: "bars timeline" }, el("h3", {}, "Timeline"));
  for (const segment of segments) {
    const fill = el("div", { class: "fill" });
    fill.style.width = `${Math.round(Math.min(segment.top_score, 1) * 100)}%`;
    box.append(el("div", { class: "bar segment", "data-label": segment.top_label },
      el("span", { class: "label" }, `${segment.start.toFixed(1)}–${segment.end.toFixed(1)} s`),
      el("div", { class: "track", title: `${segment.top_label} ${segment.top_score.toFixed(2)}` }, fill),
      el("span", { class: "value" }, `${segment.top_label} ${segment.top_score.toFixed(2)}`)));
  }
  return box;
}

function renderSpeech(result) {
  resultsEl.replaceChildren();
  const card = el("article", { class: "result speech" });
  card.append(el("h2", {}, `${result.source || "Recording"} · ${seconds(result.duration)}`));
  const predicted = el("div", { class: "predicted" });
  for (const label of result.labels) predicted.append(el("span", { class: "emotion" }, label));
  card.append(predicted);
  if (result.empty) {
    card.append(el("p", { class: "empty" }, "No speech found in this recording."));
  } else {
    card.append(el("div", { class: "columns" }, bars("Emotions", result.scores, result.labels, 9),
      timeline(result.segments)));
  }
  resultsEl.append(card);
}

// One upload field: its file POSTed as multipart to ``url``, the field disabled meanwhile, the
// answer shown by ``show`` (which returns the status line) or its error message in the status
function wireUpload(field, url, statusElement, waiting, show) {
  const say = statusLine(statusElement);
  field.addEventListener("change", async () => {
    const file = field.files[0];
    if (!file) return;
    const body = new FormData();
    body.append("file", file, file.name);
    field.disabled = true;
    say(waiting);
    try {
      const response = await fetch(url, { method: "POST", body });
      const payload = await response.json();
      if (!response.ok) throw new Error(payload.error ? payload.error.message : response.statusText);
      say(show(payload, file));
    } catch (error) {
      say(`Error: ${error.message}`, true);
    } finally {
      field.disabled = false;
      field.value = "";
    }
  });
}

wireUpload(audioInput, "/v1/speech", speechStatus, "Listening…", (payload) => {
  renderSpeech(payload);
  const count = payload.segments.length;
  return `${seconds(payload.duration)} analysed, ${count} segment${count === 1 ? "" : "s"} of speech`;
});

// Faces: each face of a photo, its box drawn over the photo and its scores as bars, from POST /v1/face
const imageInput = document.getElementById("image-input");
const faceStatus = document.getElementById("face-status");
let shownImage = null; // the object URL of the photo on show, released when another replaces it

function percent(value, total) {
  return `${((100 * value) / total).toFixed(3)}%`;
}

function renderFaces(result, file) {
  resultsEl.replaceChildren();
  if (shownImage) URL.revokeObjectURL(shownImage);
  shownImage = URL.createObjectURL(file);
  const count = result.faces.length;
  const card = el("article", { class: "result faces" });
  card.append(el("h2", {}, `${result.source || "Photo"} · ${result.width}×${result.height} · ${count} face${count === 1 ? "" : "s"}`));
  // boxes in percent of the image's size, so they follow the photo at whatever size it is shown
  const figure = el("div", { class: "photo" }, el("img", { src: shownImage, alt: result.source || "uploaded photo" }));
  // sized from the answer, so the boxes keep their places even where the browser cannot show the format (TIFF)
  figure.style.width = `min(100%, ${result.width}px)`;
  figure.style.aspectRatio = `${result.width} / ${result.height}`;
  result.faces.forEach((face, i) => {
    const box = el("div", { class: "face-box", "data-label": face.top_label, title: `${face.top_label} ${face.top_score.toFixed(2)}` },
      el("span", {}, `${i + 1} ${face.top_label}`));
    box.style.left = percent(face.box.x, result.width);
    box.style.top = percent(face.box.y, result.height);
    box.style.width = percent(face.box.width, result.width);
    box.style.height = percent(face.box.height, result.height);
    figure.append(box);
  });
  card.append(figure);
  if (!count) card.append(el("p", { class: "empty" }, "No face found in this photo."));
  const columns = el("div", { class: "columns face-scores" });
  result.faces.forEach((face, i) => columns.append(bars(`Face ${i + 1}`, face.scores, face.labels, 8)));
  card.append(columns);
  resultsEl.append(card);
}

wireUpload(imageInput, "/v1/face", faceStatus, "Looking…", (payload, file) => {
  renderFaces(payload, file);
  const count = payload.faces.length;
  return `${count} face${count === 1 ? "" : "s"} found`;
});

fetch("/healthz").then((r) => r.json()).then((info) => {
  document.getElementById("model-name").textContent = `Model: ${info.model}.`;
  if (info.languages && info.languages.length) {
    const choices = [["", `as the server reads it (${info.language || "shared thresholds"})`]];
    if (info.detects_language) choices.push(["auto", "detect each text's"]);
    for (const code of info.languages) choices.push([code, code]);
    for (const [value, text] of choices) languageInput.append(el("option", { value }, text));
    document.getElementById("language-field").hidden = false;
  }
}).catch(() => {});
