// The training page: draws the recording embedded in #recording and follows the step slider.
// Plain script (no modules, no network): the page must work from a file:// address.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("recording").textContent);
  var frames = data.frames;
  var net = data.network;
  var POS = [202, 64, 52];  // red: positive
  var NEG = [41, 113, 178];  // blue: negative
  var CLASS = ["#3b7dd8", "#e08214", "#2a9d5c", "#b03a9a", "#8c6d1f", "#d04848", "#555555", "#17becf"];
  // The region shades: each class colour mixed with 70% white, opaque so neighbouring cells show no seams.
  var LIGHT = CLASS.map(function (hex) {
    return "rgb(" + [1, 3, 5].map(function (k) {
      return Math.round(255 - 0.3 * (255 - parseInt(hex.substr(k, 2), 16)));
    }).join(",") + ")";
  });
  var MAX_GROUPS = 32;
  var state = { index: data.start === "last" ? frames.length - 1 : 0, mode: "activation", timer: null };

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    if (parent) parent.appendChild(node);
    return node;
  }
  function titled(node) {
    var title = el("title", {}, node);
    node._title = title;
    return node;
  }
  function fmt(x) {
    if (x === null || x === undefined) return "\u2013";
    if (x === 0) return "0";
    var a = Math.abs(x);
    return a >= 1e4 || a < 1e-3 ? x.toExponential(2) : x.toPrecision(4);
  }
  function pct(x) { return x === null || x === undefined ? "\u2013" : (100 * x).toFixed(1) + "%"; }
  function shade(v, scale) {
    if (v === null || v === undefined) return "#eeeeee";
    var t = scale > 0 ? Math.min(1, Math.abs(v) / scale) : 0;
    var c = v >= 0 ? POS : NEG;
    return "rgb(" + c.map(function (k) { return Math.round(255 + (k - 255) * t); }).join(",") + ")";
  }
  function sign(v) { return v >= 0 ? "rgb(" + POS.join(",") + ")" : "rgb(" + NEG.join(",") + ")"; }
  // A histogram bin's colour: the sign of its values, grey for the middle bin, which straddles 0.
  function binColor(b, bins) { return b === (bins - 1) / 2 ? "#999999" : sign(b - (bins - 1) / 2); }
  function maxAbs(list) {
    var m = 0;
    (list || []).forEach(function (v) { if (v !== null && Math.abs(v) > m) m = Math.abs(v); });
    return m;
  }
  function flat(matrix) { return [].concat.apply([], matrix || []); }
  function layerName(l) {
    var last = net.sizes.length - 1;
    if (l === 0) return "input";
    return l === last ? "output" : "hidden " + l;
  }

  // ------------------------------------------------------------------ header and notes
  var sampleText = "";
  if (data.sample && frames[0].inputs) {
    sampleText = "sample " + data.sample.index + " (x = (" + frames[0].inputs.map(fmt).join(", ") +
      "), class " + data.sample.label + ")";
  }
  document.getElementById("title").textContent = data.title;
  document.title = data.title;
  var subtitle = frames.length + " recorded steps, " + frames[0].step + " to " + frames[frames.length - 1].step +
    " (every " + data.every + ")";
  document.getElementById("subtitle").textContent = subtitle;
  if (net.note) {
    var note = document.getElementById("note");
    note.textContent = net.note;
    note.hidden = false;
  }
  var slider = document.getElementById("slider");
  slider.max = String(frames.length - 1);

  // ------------------------------------------------------------------ the network as layers of circles
  var svg = document.getElementById("network");
  var details = document.getElementById("details");
  var W = 640, H = 430, TOP = 40, BOTTOM = 12;
  var neurons = [], edges = [], histograms = [];
  var activationScale = [];
  var weightScale = 0;
  frames.forEach(function (frame) {
    frame.layers.forEach(function (layer) { weightScale = Math.max(weightScale, maxAbs(flat(layer.weight))); });
  });

  function groupsOf(n) {
    var count = net.drawn || n <= MAX_GROUPS ? n : MAX_GROUPS, groups = [];
    for (var g = 0; g < count; g++) groups.push([Math.floor(g * n / count), Math.floor((g + 1) * n / count)]);
    return groups;
  }
  function layerValues(frame, l, mode) {
    if (l === 0) return mode === "activation" ? frame.inputs : null;
    var layer = frame.layers[l - 1];
    return mode === "activation" ? layer.output : layer.bias_grad;
  }
  function groupMean(values, group) {
    if (!values) return null;
    var s = 0;
    for (var k = group[0]; k < group[1]; k++) s += values[k];
    return s / (group[1] - group[0]);
  }

  function buildNetwork() {
    var L = net.sizes.length;
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    var xs = net.sizes.map(function (_, l) { return 105 + l * (W - 225) / (L - 1); });
    var columns = net.sizes.map(function (n, l) {
      var groups = groupsOf(n);
      var space = Math.min(44, (H - TOP - BOTTOM) / groups.length);
      var r = Math.max(3, Math.min(15, space * 0.36));
      return groups.map(function (group, g) {
        return { l: l, group: group, x: xs[l], y: TOP + (H - TOP - BOTTOM) / 2 + (g - (groups.length - 1) / 2) * space,
          r: r };
      });
    });
    for (var l = 0; l < L; l++) {
      var label = layerName(l) + " (" + net.sizes[l] + (l > 0 ? ", " + net.activations[l - 1] : "") + ")";
      el("text", { x: xs[l], y: 16, "class": "layer-label" }, svg).textContent = label;
      activationScale.push(Math.max.apply(null, frames.map(function (f) {
        return maxAbs(layerValues(f, l, "activation"));
      })));
    }
    var edgeLayer = el("g", {}, svg);
    if (net.drawn) {
      for (l = 1; l < L; l++) {
        columns[l].forEach(function (to, i) {
          columns[l - 1].forEach(function (from, j) {
            var line = titled(el("line", { x1: from.x + from.r, y1: from.y, x2: to.x - to.r, y2: to.y, "class": "edge",
              id: "e-" + l + "-" + i + "-" + j }, edgeLayer));
            line._where = { l: l, i: i, j: j };
            edges.push(line);
          });
        });
      }
    } else {
      for (l = 1; l < L; l++) buildHistogram(l, columns[l - 1][0], columns[l][0]);
    }
    columns.forEach(function (column) {
      column.forEach(function (spot, g) {
        var circle = titled(el("circle", { cx: spot.x, cy: spot.y, r: spot.r, "class": "neuron",
          id: "n-" + spot.l + "-" + g }, svg));
        circle._spot = spot;
        neurons.push(circle);
      });
    });
    var first = columns[0], last = columns[L - 1];
    first.forEach(function (spot) {
      if (first.length <= 12) spot.label = el("text", { x: spot.x - spot.r - 6, y: spot.y + 4, "class": "value-label",
        "text-anchor": "end" }, svg);
    });
    last.forEach(function (spot) {
      if (last.length <= 12) spot.label = el("text", { x: spot.x + spot.r + 6, y: spot.y + 4, "class": "value-label" },
        svg);
    });
    svg.addEventListener("mouseover", function (event) {
      if (event.target._title) details.textContent = event.target._title.textContent;
    });
  }

  function buildHistogram(l, from, to) {
    var left = from.x + 24, width = to.x - from.x - 48, height = 90, top = TOP + (H - TOP - BOTTOM) / 2 - height / 2;
    var g = titled(el("g", { "class": "histogram", id: "h-" + l }, svg));
    el("rect", { x: left, y: top, width: width, height: height, fill: "#fafafa", stroke: "#ccc" }, g);
    var bins = frames[0].layers[l - 1].histogram.counts.length, bars = [];
    for (var b = 0; b < bins; b++) {
      bars.push(el("rect", { x: left + b * width / bins + 1, width: Math.max(1, width / bins - 2),
        fill: binColor(b, bins) }, g));
    }
    var caption = el("text", { x: left + width / 2, y: top + height + 16, "class": "layer-label" }, g);
    var value = el("text", { x: left + width / 2, y: top + height + 31, "class": "layer-label" }, g);
    var heading = el("text", { x: left + width / 2, y: top - 6, "class": "layer-label" }, g);
    histograms.push({ l: l, g: g, bars: bars, top: top, height: height, caption: caption, value: value,
      heading: heading });
  }

  function drawNetwork(frame) {
    var mode = state.mode;
    // Weights keep one scale over the run; gradients, which shrink as training converges, one per step.
    var edgeScale = weightScale;
    if (net.drawn) {
      if (mode === "gradient") {
        edgeScale = 0;
        frame.layers.forEach(function (layer) { edgeScale = Math.max(edgeScale, maxAbs(flat(layer.weight_grad))); });
      }
      edges.forEach(function (line) {
        var w = line._where, layer = frame.layers[w.l - 1];
        var v = mode === "activation" ? layer.weight[w.i][w.j] : layer.weight_grad[w.i][w.j];
        var t = edgeScale > 0 ? Math.abs(v) / edgeScale : 0;
        line.setAttribute("stroke", sign(v));
        line.setAttribute("stroke-width", (0.3 + 4.7 * t).toFixed(2));
        line.setAttribute("stroke-opacity", (0.3 + 0.6 * t).toFixed(2));
        line._title.textContent = layerName(w.l) + " neuron " + w.i + " \u2190 " + layerName(w.l - 1) + " " +
          (w.l === 1 ? "x" : "neuron ") + w.j + ": w = " + fmt(layer.weight[w.i][w.j]) + ", \u2202L/\u2202w = " +
          fmt(layer.weight_grad[w.i][w.j]);
      });
    }
    histograms.forEach(function (h) {
      var layer = frame.layers[h.l - 1];
      drawBars(h.bars, histogramOf(layer), h.top + h.height, h.height);
      h.heading.textContent = mode === "activation" ? "weights" : "\u2202L/\u2202w";
      h.caption.textContent = mode === "activation" ? "mean |w|" : "mean |\u2202L/\u2202w|";
      h.value.textContent = fmt(mode === "activation" ? layer.mean_abs : layer.mean_abs_grad);
      h.g._title.textContent = layerName(h.l) + " " + histogramText(layer);
    });
    var frameScale = net.sizes.map(function (_, l) { return maxAbs(layerValues(frame, l, "gradient")); });
    neurons.forEach(function (circle) {
      var spot = circle._spot, l = spot.l, group = spot.group;
      var values = layerValues(frame, l, mode);
      var v = groupMean(values, group);
      var scale = mode === "activation" ? activationScale[l] : frameScale[l];
      circle.setAttribute("fill", shade(v, scale));
      var who = layerName(l) + (group[1] - group[0] === 1 ? (l === 0 ? " x" : " neuron ") + group[0]
        : " neurons " + group[0] + "\u2013" + (group[1] - 1) + " (mean of " + (group[1] - group[0]) + ")");
      var out = groupMean(layerValues(frame, l, "activation"), group);
      var text = who + ": " + (l === 0 ? "value " : "output ") + fmt(out);
      if (l > 0) {
        text += ", bias " + fmt(groupMean(frame.layers[l - 1].bias, group)) + ", \u2202L/\u2202b = " +
          fmt(groupMean(frame.layers[l - 1].bias_grad, group));
      }
      circle._title.textContent = text;
      if (spot.label) {
        var name = l === 0 ? "x" + group[0] : (net.sizes[l] === 1 ? "score" : "out " + group[0]);
        spot.label.textContent = mode === "activation" || l === 0 ? name + " = " + fmt(out)
          : "\u2202L/\u2202b = " + fmt(v);
      }
    });
    drawNetworkLegend(edgeScale);
  }

  function ramp() {
    var s = '<svg width="90" height="12" aria-hidden="true">';
    for (var k = 0; k < 9; k++) s += '<rect x="' + k * 10 + '" y="0" width="10" height="12" fill="' +
      shade((k - 4) / 4, 1) + '"/>';
    return s + "</svg>";
  }
  function line(color, width) {
    return '<svg width="22" height="10" aria-hidden="true"><line x1="1" y1="5" x2="21" y2="5" stroke="' + color +
      '" stroke-width="' + width + '"/></svg>';
  }
  function binCount() { return frames[0].layers[0].histogram.counts.length; }
  function drawNetworkLegend(edgeScale) {
    var legend = document.getElementById("legend"), html = "";
    var what = state.mode === "activation" ? "weight" : "\u2202L/\u2202w";
    if (net.drawn) {
      html += "<span>" + line(sign(1), 3) + "positive " + what + " " + line(sign(-1), 3) + "negative " + what +
        "; width \u221d |" + what + "| (widest " + fmt(edgeScale) + (state.mode === "activation" ? "" :
        " at this step") + ")</span>";
    }
    if (state.mode === "activation") {
      html += "<span>neuron: " + ramp() + " output on " + (sampleText ? "sample " + data.sample.index : "the sample") +
        ", \u2212 to +, scaled per layer over the run</span>";
    } else {
      html += "<span>neuron: " + ramp() + " \u2202L/\u2202b, the loss gradient reaching its weighted sum (summed " +
        "over the batch), scaled per layer at this step; inputs have none</span>";
    }
    if (!net.drawn) {
      html += "<span>between layers: how many " + (state.mode === "activation" ? "weights" : "gradients") + " fall in " +
        "each of " + binCount() + " bins from \u2212max to +max of |value| (red positive, blue negative, grey " +
        "around 0); a circle in a wide layer is the mean of a group of neurons</span>";
    }
    html += "<span>hover a neuron or an edge for its numbers</span>";
    legend.innerHTML = html;
  }

  // ------------------------------------------------------------------ histograms (wide layers, other models)
  function histogramOf(layer) { return state.mode === "activation" ? layer.histogram : layer.grad_histogram; }
  function histogramText(layer) {
    var h = histogramOf(layer);
    return (state.mode === "activation" ? "weights" : "\u2202L/\u2202w") + " from " + fmt(h.low) + " to " +
      fmt(h.high) + " (counts " + h.counts.join(", ") + ")";
  }
  function drawBars(bars, histogram, bottom, height) {
    var top = Math.max.apply(null, histogram.counts) || 1;
    bars.forEach(function (bar, b) {
      var h = height * histogram.counts[b] / top;
      bar.setAttribute("y", bottom - h);
      bar.setAttribute("height", h);
    });
  }

  // ------------------------------------------------------------------ per-layer summary of any other model
  var summaryRows = [];
  function buildSummary() {
    svg.remove();
    document.getElementById("network-heading").textContent = "The layers";
    var table = document.createElement("table");
    table.className = "summary";
    table.innerHTML = "<thead><tr><th>layer</th><th>parameters</th><th id=\"col-h\">histogram</th>" +
      '<th class="num" id="col-w">mean |w|</th><th class="num" id="col-g">mean |\u2202L/\u2202w|</th></tr></thead>';
    var body = document.createElement("tbody");
    frames[0].layers.forEach(function (layer, k) {
      var row = document.createElement("tr");
      row.id = "layer-" + k;
      var count = layer.histogram.counts.reduce(function (a, b) { return a + b; }, 0);
      row.innerHTML = "<td></td><td class=\"num\"></td><td></td><td class=\"num w\"></td><td class=\"num g\"></td>";
      row.cells[0].textContent = layer.name;
      row.cells[1].textContent = String(count);
      var hist = el("svg", { width: 132, height: 28 }, row.cells[2]), bars = [];
      for (var b = 0; b < layer.histogram.counts.length; b++) {
        bars.push(el("rect", { x: b * 12, width: 10, fill: binColor(b, layer.histogram.counts.length) }, hist));
      }
      summaryRows.push({ row: row, bars: bars, hist: titled(hist) });
      body.appendChild(row);
    });
    table.appendChild(body);
    document.getElementById("network-panel").insertBefore(table, details);
  }
  function drawSummary(frame) {
    var gradient = state.mode === "gradient";
    frame.layers.forEach(function (layer, k) {
      var r = summaryRows[k];
      r.row.cells[3].textContent = fmt(layer.mean_abs);
      r.row.cells[4].textContent = fmt(layer.mean_abs_grad);
      r.row.cells[3].className = "num w" + (gradient ? "" : " active");
      r.row.cells[4].className = "num g" + (gradient ? " active" : "");
      drawBars(r.bars, histogramOf(layer), 28, 26);
      r.hist._title.textContent = histogramText(layer);
    });
    var what = gradient ? "gradients \u2202L/\u2202w" : "weights and biases";
    document.getElementById("col-h").textContent = gradient ? "\u2202L/\u2202w (histogram)" : "weights (histogram)";
    document.getElementById("legend").innerHTML = "<span>each layer's " + what + " in " +
      binCount() + " bins from \u2212max to +max of |value| (" + line(sign(-1), 6) + "negative " +
      line(sign(1), 6) + "positive, grey around 0)</span>";
  }

  // ------------------------------------------------------------------ decision regions
  var regionCells = [];
  var RW = 340, RH = 300, RL = 48, RB = 28, RT = 6, RR = 8;
  function buildRegions() {
    if (!data.grid || !frames[0].regions) return;
    document.getElementById("regions-panel").hidden = false;
    var svgR = document.getElementById("regions");
    svgR.setAttribute("viewBox", "0 0 " + RW + " " + RH);
    var gx = data.grid.x, gy = data.grid.y, nx = gx.length, ny = gy.length;
    var dx = (gx[nx - 1] - gx[0]) / (nx - 1), dy = (gy[ny - 1] - gy[0]) / (ny - 1);
    var x0 = gx[0] - dx / 2, x1 = gx[nx - 1] + dx / 2, y0 = gy[0] - dy / 2, y1 = gy[ny - 1] + dy / 2;
    var pw = RW - RL - RR, ph = RH - RT - RB;
    function px(x) { return RL + (x - x0) / (x1 - x0) * pw; }
    function py(y) { return RT + ph - (y - y0) / (y1 - y0) * ph; }
    for (var i = 0; i < ny; i++) {
      for (var j = 0; j < nx; j++) {
        regionCells.push(el("rect", { x: (RL + j * pw / nx).toFixed(2), y: (RT + ph - (i + 1) * ph / ny).toFixed(2),
          width: (pw / nx + 0.4).toFixed(2), height: (ph / ny + 0.4).toFixed(2) }, svgR));
      }
    }
    el("rect", { x: RL, y: RT, width: pw, height: ph, fill: "none", stroke: "#999" }, svgR);
    if (data.points) {
      data.points.x.forEach(function (p, k) {
        el("circle", { cx: px(p[0]).toFixed(1), cy: py(p[1]).toFixed(1), r: 3.2,
          fill: CLASS[data.points.label[k] % CLASS.length], stroke: "#222", "stroke-width": 0.6 }, svgR);
      });
    }
    if (data.sample && frames[0].inputs) {
      var s = frames[0].inputs;
      el("circle", { cx: px(s[0]), cy: py(s[1]), r: 7, fill: "none", stroke: "#000", "stroke-width": 2 }, svgR);
      el("text", { x: px(s[0]) + 9, y: py(s[1]) - 7, "class": "value-label" }, svgR).textContent =
        "sample " + data.sample.index;
    }
    el("text", { x: RL + pw / 2, y: RH - 6, "class": "axis", "text-anchor": "middle" }, svgR).textContent = "x0";
    el("text", { x: 10, y: RT + ph / 2, "class": "axis", "text-anchor": "middle",
      transform: "rotate(-90 10 " + (RT + ph / 2) + ")" }, svgR).textContent = "x1";
    [[x0, "start"], [x1, "end"]].forEach(function (t) {
      el("text", { x: px(t[0]), y: RT + ph + 13, "class": "axis", "text-anchor": t[1] }, svgR).textContent = fmt(t[0]);
    });
    [[y0, RT + ph], [y1, RT + 10]].forEach(function (t) {
      el("text", { x: RL - 3, y: t[1], "class": "axis", "text-anchor": "end" }, svgR).textContent = fmt(t[0]);
    });
    var legend = "";
    for (var c = 0; c < data.classes.length; c++) {
      legend += '<span><span class="swatch" style="background:' + CLASS[c % CLASS.length] + '"></span>class ' +
        Number(data.classes[c]) + "</span>";
    }
    document.getElementById("regions-legend").innerHTML = legend +
      "<span>shade = predicted class, dots = training data</span>";
  }
  function drawRegions(frame) {
    if (!regionCells.length) return;
    var nx = data.grid.x.length;
    frame.regions.forEach(function (row, i) {
      for (var j = 0; j < nx; j++) {
        regionCells[i * nx + j].setAttribute("fill", LIGHT[parseInt(row.charAt(j), 36) % LIGHT.length]);
      }
    });
  }

  // ------------------------------------------------------------------ loss and accuracy curves
  var CW = 340, CH = 190, CL = 56, CR = 40, CT = 8, CB = 30;
  var cursor, lossDot, accDot, cx, cyLoss, cyAcc;
  function buildCurves() {
    var svgC = document.getElementById("curves");
    svgC.setAttribute("viewBox", "0 0 " + CW + " " + CH);
    var steps = frames.map(function (f) { return f.step; });
    var losses = frames.map(function (f) { return f.loss; }).filter(function (v) { return v !== null; });
    var s0 = steps[0], s1 = Math.max(steps[steps.length - 1], s0 + 1);
    var pw = CW - CL - CR, ph = CH - CT - CB;
    cx = function (s) { return CL + (s - s0) / (s1 - s0) * pw; };
    var logScale = losses.length > 0 && Math.min.apply(null, losses) > 0;
    var lo = losses.length ? Math.min.apply(null, losses) : 0, hi = losses.length ? Math.max.apply(null, losses) : 1;
    var f = logScale ? Math.log : function (v) { return v; };
    var a = f(lo), b = f(hi);
    if (b - a < 1e-12) { a -= 0.5; b += 0.5; }
    cyLoss = function (v) { return CT + ph - (f(v) - a) / (b - a) * ph; };
    cyAcc = function (v) { return CT + ph - v * ph; };
    el("rect", { x: CL, y: CT, width: pw, height: ph, fill: "none", stroke: "#bbb" }, svgC);
    function path(key, y) {
      var pts = frames.filter(function (fr) { return fr[key] !== null; })
        .map(function (fr) { return cx(fr.step).toFixed(1) + "," + y(fr[key]).toFixed(1); });
      return pts.join(" ");
    }
    el("polyline", { points: path("loss", cyLoss), fill: "none", stroke: "#1f5fa8", "stroke-width": 1.8 }, svgC);
    el("polyline", { points: path("accuracy", cyAcc), fill: "none", stroke: "#e08214", "stroke-width": 1.8 }, svgC);
    cursor = el("line", { y1: CT, y2: CT + ph, stroke: "#444", "stroke-dasharray": "3,3" }, svgC);
    lossDot = el("circle", { r: 3.5, fill: "#1f5fa8" }, svgC);
    accDot = el("circle", { r: 3.5, fill: "#e08214" }, svgC);
    function label(x, y, text, anchor, color) {
      var t = el("text", { x: x, y: y, "class": "axis", "text-anchor": anchor }, svgC);
      t.textContent = text;
      if (color) t.setAttribute("fill", color);
    }
    if (losses.length) {
      label(CL - 4, CT + 9, fmt(hi), "end", "#1f5fa8");
      label(CL - 4, CT + ph, fmt(lo), "end", "#1f5fa8");
      var mid = CT + ph / 2, axis = el("text", { x: 12, y: mid, "class": "axis", "text-anchor": "middle", fill: "#1f5fa8",
        transform: "rotate(-90 12 " + mid + ")" }, svgC);
      axis.textContent = logScale ? "loss (log scale)" : "loss";
    }
    label(CL + pw + 4, CT + 9, "100%", "start", "#e08214");
    label(CL + pw + 4, CT + ph, "0%", "start", "#e08214");
    label(CL, CT + ph + 14, String(s0), "middle");
    label(CL + pw, CT + ph + 14, String(steps[steps.length - 1]), "end");
    label(CL + pw / 2, CT + ph + 26, "step", "middle");
  }
  function drawCurves(frame) {
    var x = cx(frame.step);
    cursor.setAttribute("x1", x);
    cursor.setAttribute("x2", x);
    lossDot.setAttribute("visibility", frame.loss === null ? "hidden" : "visible");
    accDot.setAttribute("visibility", frame.accuracy === null ? "hidden" : "visible");
    if (frame.loss !== null) { lossDot.setAttribute("cx", x); lossDot.setAttribute("cy", cyLoss(frame.loss)); }
    if (frame.accuracy !== null) { accDot.setAttribute("cx", x); accDot.setAttribute("cy", cyAcc(frame.accuracy)); }
  }

  // ------------------------------------------------------------------ controls
  function render() {
    var frame = frames[state.index];
    slider.value = String(state.index);
    document.getElementById("step-value").textContent = String(frame.step);
    document.getElementById("loss-value").textContent = fmt(frame.loss);
    document.getElementById("accuracy-value").textContent = pct(frame.accuracy);
    if (net.kind === "mlp") drawNetwork(frame); else drawSummary(frame);
    drawRegions(frame);
    drawCurves(frame);
  }
  function stop() {
    clearInterval(state.timer);
    state.timer = null;
    document.getElementById("play").innerHTML = "&#9654; play";
  }
  document.getElementById("play").addEventListener("click", function () {
    if (state.timer !== null) { stop(); return; }
    if (state.index >= frames.length - 1) state.index = 0;
    document.getElementById("play").innerHTML = "&#10074;&#10074; pause";
    render();
    state.timer = setInterval(function () {
      if (state.index >= frames.length - 1) { stop(); return; }
      state.index += 1;
      render();
    }, Math.max(60, Math.min(400, 8000 / frames.length)));
  });
  slider.addEventListener("input", function () {
    stop();
    state.index = Number(slider.value);
    render();
  });
  // Arrow keys step anywhere on the page (the focused slider handles its own).
  document.addEventListener("keydown", function (event) {
    var move = { ArrowLeft: -1, ArrowRight: 1 }[event.key];
    if (!move || event.target === slider) return;
    stop();
    state.index = Math.max(0, Math.min(frames.length - 1, state.index + move));
    render();
    event.preventDefault();
  });
  ["activation", "gradient"].forEach(function (mode) {
    document.getElementById("mode-" + mode).addEventListener("change", function () {
      state.mode = mode;
      render();
    });
  });
  if (net.kind === "mlp") {
    document.getElementById("mode-activation-label").textContent = "outputs" +
      (sampleText ? " on " + sampleText : "") + " and weights";
    document.getElementById("mode-gradient-label").textContent = "gradients \u2202L/\u2202b and \u2202L/\u2202w";
    buildNetwork();
  } else {
    document.getElementById("mode-activation-label").textContent = "weights";
    document.getElementById("mode-gradient-label").textContent = "gradients";
    buildSummary();
  }
  buildRegions();
  buildCurves();
  render();
})();
