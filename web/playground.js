// The playground's page side: start Pyodide from the bytes embedded in this file (no network), run the code box.
const texts = JSON.parse(document.getElementById("texts").textContent);
const $ = (id) => document.getElementById(id);
const statusLine = $("status");
// Pyodide asks for its files by URL; these never leave the page: `fetch` below answers them from the file itself.
const BASE = "https://embedded.invalid/pyodide/";

// Each start-up stage is a performance measure named after its progress line (see benchmarks/playground_start.py).
let stage = null;

function progress(text, isError = false) {
  if (stage && !isError) performance.measure(stage.text, { start: stage.start });
  stage = { text, start: performance.now() };
  statusLine.textContent = text;
  statusLine.classList.toggle("error", isError);
}

function base64Bytes(text) {
  if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text.trim());
  const binary = atob(text.trim());
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// An embedded file as a stream, decompressed as it is read: the WebAssembly compiles while it is still arriving.
function assetStream(name) {
  const element = document.querySelector(`script[data-asset="${name}"]`);
  if (!element) throw new Error(`this playground file has no embedded ${name}`);
  const stream = new Blob([base64Bytes(element.textContent)]).stream();
  return "gzip" in element.dataset ? stream.pipeThrough(new DecompressionStream("gzip")) : stream;
}

async function asset(name) {
  return new Uint8Array(await new Response(assetStream(name)).arrayBuffer());
}

const networkFetch = globalThis.fetch.bind(globalThis);
globalThis.fetch = async (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  if (!url.startsWith(BASE)) return networkFetch(input, init);
  const name = url.slice(BASE.length);
  const type = name.endsWith(".wasm") ? "application/wasm" : "application/octet-stream";
  return new Response(assetStream(name), { headers: { "Content-Type": type } });
};

async function importEmbedded(name) {
  const url = URL.createObjectURL(new Blob([await asset(name)], { type: "text/javascript" }));
  try {
    return await import(url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

async function start() {
  if (typeof WebAssembly !== "object" || typeof DecompressionStream !== "function") {
    throw new Error("This browser cannot run the playground: it lacks WebAssembly (or DecompressionStream). " +
      "Use a current Firefox, Chrome, Edge or Safari.");
  }
  progress("Starting Python (Pyodide)…");
  const [{ loadPyodide }, runtime] = await Promise.all(
    [importEmbedded("pyodide.mjs"), importEmbedded("pyodide.asm.mjs")]);
  const pyodide = await loadPyodide({
    indexURL: BASE, createPyodideModule: runtime.default, lockFileURL: BASE + "pyodide-lock.json" });
  progress("Loading scalargrad…");
  vizReady = loadViz().catch(() => null);  // its WebAssembly compiles on another core while Python imports
  // The wheels are imported from where they lie (zipimport, as the standard library is): faster than unpacking.
  const sitePackages = pyodide.runPython("__import__('site').getsitepackages()[0]");
  const archives = [];
  for (const element of document.querySelectorAll("script[data-wheel]")) {
    archives.push(`${sitePackages}/${element.dataset.asset}`);
    pyodide.FS.writeFile(archives.at(-1), await asset(element.dataset.asset));
  }
  pyodide.pyimport("sys").path.extend(pyodide.toPy(archives));
  const namespace = pyodide.globals.get("dict")();
  pyodide.runPython(texts.runner, { globals: namespace, filename: "playground_run.py" });
  const seconds = performance.now() / 1000;  // since the page was opened
  progress(`Ready in ${seconds.toFixed(1)} s: Python ${pyodide.version ? "(Pyodide " + pyodide.version + ")" : ""}`);
  window.scalargrad.startSeconds = seconds;
  return namespace.get("run");
}

// Graphviz (viz-js) is needed only to draw, so Python's start does not wait for it; a run does. Without it the
// engine shows the DOT source and a hint, so a failure here is not fatal.
async function loadViz() {
  const start = performance.now();
  await importEmbedded("viz-global.js");
  globalThis.scalargradViz = await globalThis.Viz.instance();
  performance.measure("viz-js", { start });
}

function show(result) {
  const output = $("output");
  output.textContent = result.stdout;
  if (result.error) {
    const error = document.createElement("span");
    error.className = "error";
    error.textContent = result.error;
    output.append(error);
  }
  const graph = $("graph");
  if (result.svg && result.svg.includes("<svg")) {
    graph.innerHTML = result.svg.slice(result.svg.indexOf("<svg"));
  } else if (result.svg) {
    graph.replaceChildren(Object.assign(document.createElement("pre"), { textContent: result.svg }));
  } else if (!result.error) {
    graph.innerHTML = '<p class="hint">This code computed no Value to draw.</p>';
  }
  stepPage = result.step_page;
  $("step").disabled = !stepPage;
  const training = $("training");
  training.hidden = !result.training_page;
  if (result.training_page) training.srcdoc = result.training_page;
}

let stepPage = null;
let runPython = null;
let vizReady = null;
const ready = start().then((fn) => {
  runPython = fn;
  $("run").disabled = false;
}, (error) => {
  progress(error.message || String(error), true);
  throw error;
});

async function run(source) {
  await ready;
  await vizReady;
  const proxy = runPython(source);
  const result = proxy.toJs({ dict_converter: Object.fromEntries });
  proxy.destroy();
  show(result);
  return { stdout: result.stdout, error: result.error ?? null };
}

window.scalargrad = { ready: ready.then(() => true), run };

// -- the editor: examples, Run and Ctrl-Enter, the link fragment ----------------------------------------------
function encodeCode(source) {
  const bytes = new TextEncoder().encode(source);
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeCode(text) {
  return new TextDecoder().decode(base64Bytes(text.replace(/-/g, "+").replace(/_/g, "/")));
}

const select = $("examples");
for (const [name, source] of Object.entries(texts.examples)) select.add(new Option(name, source));
select.addEventListener("change", () => { $("code").value = select.value; });
const shared = location.hash.startsWith("#code=") ? location.hash.slice(6) : null;
try {
  $("code").value = shared ? decodeCode(shared) : select.value;
} catch {
  $("code").value = select.value;
  progress("The link's #code= part could not be read; showing the first example.", true);
}

async function runBox() {
  $("run").disabled = true;
  try {
    await run($("code").value);
  } finally {
    $("run").disabled = false;
  }
}
$("run").addEventListener("click", runBox);
$("code").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    runBox();
  } else if (event.key === "Tab" && !event.shiftKey) {
    event.preventDefault();
    event.target.setRangeText("    ", event.target.selectionStart, event.target.selectionEnd, "end");
  }
});
$("step").addEventListener("click", () => {
  window.open(URL.createObjectURL(new Blob([stepPage], { type: "text/html" })), "_blank");
});
$("share").addEventListener("click", () => {
  history.replaceState(null, "", "#code=" + encodeCode($("code").value));
  progress("This code is now in the page's link: copy the address to share it with this file.");
});
$("licenses").textContent = texts.licenses;
