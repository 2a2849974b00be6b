/* The step-through page's script: plain ES5, no modules, nothing fetched. Every number it shows was
   formatted by Python when the page was written; this only picks which text and colour each node has. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("page-data").textContent);
  var nodes = D.nodes, fwd = D.forward, bwd = D.backward;
  var F = fwd.length, B = bwd.length;
  var total = F + B + 2; // the inputs, one frame per computed node, one per backward step, and "done"
  var $ = function (id) { return document.getElementById(id); };
  var slider = $("slider"), playButton = $("play"), timer = null, frame = 0;
  var i, j;

  var computedAt = [];
  for (i = 0; i < nodes.length; i++) computedAt.push(0);
  for (i = 0; i < F; i++) computedAt[fwd[i]] = i + 1;

  // The picture's node and edge groups, found by the DOT ids Graphviz keeps in their <title>.
  var svgNode = {}, svgEdge = {};
  var groups = document.querySelectorAll("#figure g.node, #figure g.edge");
  for (i = 0; i < groups.length; i++) {
    var title = groups[i].querySelector("title");
    if (!title) continue;
    (groups[i].getAttribute("class") === "node" ? svgNode : svgEdge)[title.textContent] = groups[i];
  }

  function textsOf(node, box) {
    var found = { data: null, grad: null, head: null };
    if (!box) return found;
    var texts = box.querySelectorAll("text");
    for (var t = 0; t < texts.length; t++) {
      var s = texts[t].textContent;
      if (s.indexOf("data ") === 0) found.data = texts[t];
      else if (s.indexOf("grad") === 0) found.grad = texts[t];
      else if (s.slice(-(node.data.length + 3)) === " = " + node.data) found.head = { el: texts[t], text: s };
    }
    return found;
  }

  // Per Value: its box and op node in the picture, the texts to rewrite, and its row in the table.
  var tbody = document.querySelector("#values tbody");
  var views = [];
  for (i = 0; i < nodes.length; i++) {
    var n = nodes[i], box = n.id ? svgNode[n.id] : null;
    var row = document.createElement("tr");
    row.setAttribute("data-node", String(i));
    row.innerHTML = "<td class='who'></td><td class='formula'></td><td class='num data'></td>" +
      "<td class='num grad'></td><td class='state'></td>";
    row.cells[0].textContent = n.who;
    row.cells[1].textContent = n.formula || "input";
    tbody.appendChild(row);
    var edges = [];
    for (j = 0; j < n.edges.length; j++) if (svgEdge[n.edges[j]]) edges.push(svgEdge[n.edges[j]]);
    views.push({ box: box, op: n.id ? svgNode[n.id + "_op"] : null, texts: textsOf(n, box), row: row, edges: edges });
  }

  var STATE_WORDS = {
    pending: "not computed yet", computing: "being computed", unreached: "gradient not reached yet",
    current: "passing its gradient on", partial: "gradient so far", final: "gradient final"
  };

  function setState(el, state) {
    if (!el) return;
    var cls = (el.getAttribute("class") || "").replace(/\s*st-\w+/g, "");
    el.setAttribute("class", cls + " st-" + state);
  }

  function setHot(list, cls, on) {
    for (var e = 0; e < list.length; e++) {
      var c = list[e].getAttribute("class").replace(/\s*hot(-forward)?\b/g, "");
      list[e].setAttribute("class", on ? c + " " + cls : c);
    }
  }

  function cell(tr, text, tag) {
    var td = document.createElement(tag || "td");
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function table(head, rows) {
    var detail = $("detail");
    detail.innerHTML = "";
    if (!rows.length) return;
    var tr = document.createElement("tr");
    for (var h = 0; h < head.length; h++) cell(tr, head[h], "th");
    detail.appendChild(tr);
    for (var r = 0; r < rows.length; r++) {
      tr = document.createElement("tr");
      tr.setAttribute("data-operand", String(r));
      for (var c = 0; c < rows[r].length; c++) cell(tr, rows[r][c]);
      detail.appendChild(tr);
    }
  }

  function clip(text) { return text.length > 110 ? text.slice(0, 108) + " …" : text; }

  function render(f) {
    frame = f;
    slider.value = String(f);
    $("counter").textContent = (f + 1) + " / " + total;
    var k = f - F - 1, grads = {}, current = -1, computing = -1, q, c;
    if (k < 0) {
      computing = f > 0 ? fwd[f - 1] : -1;
    } else {
      grads[D.root] = D.seed;
      for (q = 0; q <= Math.min(k, B - 1); q++) {
        for (c = 0; c < bwd[q].changes.length; c++) grads[bwd[q].changes[c][0]] = bwd[q].changes[c][1];
      }
      if (k < B) current = bwd[k].node;
    }
    for (i = 0; i < nodes.length; i++) {
      var n = nodes[i], v = views[i], state, computed = computedAt[i] <= f;
      if (k < 0) state = !computed ? "pending" : i === computing ? "computing" : "unreached";
      else if (i === current) state = "current";
      else if (!(i in grads)) state = "unreached";
      else state = n.finalAt <= k ? "final" : "partial";
      var dataText = computed ? n.data : "?";
      var gradText = i in grads ? grads[i] : "?";
      setState(v.box, state);
      setState(v.op, state);
      setState(v.row, state);
      if (v.texts.data) v.texts.data.textContent = "data " + dataText;
      if (v.texts.head) v.texts.head.el.textContent = v.texts.head.text.slice(0, -n.data.length) + dataText;
      if (v.texts.grad) v.texts.grad.textContent = (state === "partial" ? "grad so far " : "grad ") + gradText;
      v.row.cells[2].textContent = dataText;
      v.row.cells[3].textContent = gradText;
      v.row.cells[4].textContent = STATE_WORDS[state];
      setHot(v.edges, i === current ? "hot" : "hot-forward", i === current || i === computing);
    }
    describe(f, k, grads, computing);
    reveal(current >= 0 ? views[current].box : computing >= 0 ? views[computing].box : null);
  }

  // Scroll the node being processed into view when it is off screen (below the sticky controls).
  function reveal(box) {
    if (!box || !box.getBoundingClientRect) return;
    var r = box.getBoundingClientRect(), top = document.querySelector("header").getBoundingClientRect().bottom;
    if (r.top < top || r.bottom > window.innerHeight || r.left < 0 || r.right > window.innerWidth) {
      box.scrollIntoView({ block: "center", inline: "center" });
    }
  }

  function describe(f, k, grads, computing) {
    var n, rows = [], p;
    if (f === 0) {
      $("phase").textContent = "Forward pass: the inputs";
      var inputs = [], inside = 0;
      for (i = 0; i < nodes.length; i++) {
        if (nodes[i].formula) continue;
        if (nodes[i].id || !document.querySelector("#figure svg")) inputs.push(nodes[i].name ? nodes[i].name + " = " + nodes[i].data : nodes[i].data);
        else inside++;
      }
      $("caption").textContent = clip(inputs.join(", ")) +
        (inside ? " (and " + inside + " weights and biases inside the collapsed boxes)" : "");
      table([], []);
    } else if (k < 0) {
      n = nodes[computing];
      $("phase").textContent = "Forward pass: computing Value " + f + " of " + F + " (operands before results)";
      $("caption").textContent = clip(n.who + " = " + n.formula + " = " + n.data);
      for (j = 0; j < n.parents.length; j++) rows.push([nodes[n.parents[j]].who, nodes[n.parents[j]].data]);
      table(["operand", "data"], rows);
    } else if (k < B) {
      var step = bwd[k];
      n = nodes[step.node];
      $("phase").textContent = "Backward pass: step " + (k + 1) + " of " + B + ", " + n.who +
        " passes its gradient " + step.grad + " to its operands";
      $("caption").textContent = step.caption;
      for (j = 0; j < n.parents.length; j++) {
        p = n.parents[j];
        rows.push([nodes[p].who, nodes[p].data, step.local[j], step.grad + " × " + step.local[j] + " = " + step.pushed[j],
          (nodes[p].finalAt <= k ? "" : "so far ") + grads[p]]);
      }
      table(["operand", "data", "local derivative ∂" + n.who + "/∂operand", "upstream grad × local = added",
        "operand's grad"], rows);
    } else {
      $("phase").textContent = "Done: backward() is complete and every gradient is final";
      var leaves = [];
      var drawn = !!document.querySelector("#figure svg");
      for (i = 0; i < nodes.length; i++) {
        if (nodes[i].formula || (drawn && !nodes[i].id)) continue;
        leaves.push("∂" + D.title + "/∂" + (nodes[i].name || "(input " + nodes[i].data + ")") + " = " + grads[i]);
      }
      $("caption").textContent = clip(leaves.join(", ") + " (every gradient is in the table below)");
      table([], []);
    }
  }

  function go(f) { render(Math.max(0, Math.min(total - 1, f))); }
  function stop() { if (timer !== null) { clearInterval(timer); timer = null; } playButton.textContent = "▶ play"; }
  function play() {
    if (timer !== null) { stop(); return; }
    if (frame === total - 1) go(0);
    playButton.textContent = "⏸ pause";
    timer = setInterval(function () { if (frame >= total - 1) stop(); else go(frame + 1); }, 1000);
  }

  slider.max = String(total - 1);
  slider.addEventListener("input", function () { stop(); go(+slider.value); });
  $("first").addEventListener("click", function () { stop(); go(0); });
  $("prev").addEventListener("click", function () { stop(); go(frame - 1); });
  $("next").addEventListener("click", function () { stop(); go(frame + 1); });
  $("last").addEventListener("click", function () { stop(); go(total - 1); });
  playButton.addEventListener("click", play);
  $("zoom").addEventListener("click", function () {
    var fig = $("figure"), fit = fig.getAttribute("class") === "fit";
    fig.setAttribute("class", fit ? "" : "fit");
    this.textContent = fit ? "fit to width" : "full size";
  });
  document.addEventListener("keydown", function (e) {
    if (e.target === slider && (e.key === "ArrowLeft" || e.key === "ArrowRight")) return; // the slider moves itself
    if (e.key === "ArrowRight") { stop(); go(frame + 1); } else if (e.key === "ArrowLeft") { stop(); go(frame - 1); }
    else if (e.key === "Home") { stop(); go(0); } else if (e.key === "End") { stop(); go(total - 1); }
    else if (e.key === " " && e.target.tagName !== "BUTTON") { play(); } else return;
    e.preventDefault();
  });
  if (!document.querySelector("#figure svg")) $("values-box").open = true;
  render(0);
})();
