// funnelsim console, "Find the best policy": the panel's choices →
// --vary ranges → POST /api/optimise → the chosen configuration, the ones
// not separated from it, each configuration's replications and when it was
// dropped, and "Explore this". Loaded after app.js and uses its helpers
// ($, esc, fmt, bars, overrides, applyOverrides, changed, current, page,
// lastAnswer).
"use strict";

// A request of its own: an optimisation and the Explore view's runs do not
// cancel each other, but a second optimisation cancels the first.
const optimisePage = page + ":optimise";
// The most parameters varied at once: a grid the room can read.
const MOST_VARIED = 3;

// What each objective is in the page's units (as app.js's cards), the
// indifference's unit in words, and how the page's number becomes the
// command line's (rates: points → fractions).
const OBJECTIVES = {
  close_rate: { label: "close rate (deals won per lead)", unit: "rate", words: "percentage points", scale: 0.01 },
  win_rate: { label: "win rate (won per decided deal)", unit: "rate", words: "percentage points", scale: 0.01 },
  revenue: { label: "revenue", unit: "money", words: "dollars", scale: 1 },
  profit: { label: "profit", unit: "money", words: "dollars", scale: 1 },
  roi: { label: "return on spend", unit: "ratio", words: "(ratio)", scale: 1 },
  cost_per_win: { label: "cost per deal won (lower is better)", unit: "money", words: "dollars", scale: 1 },
};

// The decisions the panel can vary, as the workshop names them.
const NAMES = {
  "handoff.policy": "handoff",
  "handoff.threshold": "hand off at score",
  "handoff.stage": "hand off at stage",
  "outreach.approach": "approach",
  "outreach.reps": "reps",
  "outreach.max_unanswered_touches": "contact attempts",
};

function pretty(item) {
  const i = item.indexOf("=");
  const key = item.slice(0, i), value = item.slice(i + 1);
  return (NAMES[key] || key) + " " + value.replace(/_/g, " ");
}

// Which parameters are ticked, as --vary strings; the handoff policy each
// handoff parameter needs.
function varied() {
  const out = [];
  const range = (id) => $(`o-${id}-from`).value + ":" + $(`o-${id}-to`).value + ":" + $(`o-${id}-step`).value;
  const choices = (box) => [...document.querySelectorAll(`#${box} input:checked`)].map((c) => c.value).join(",");
  if ($("o-threshold-on").checked) out.push({ vary: "handoff.threshold=" + range("threshold"), policy: "score_threshold" });
  if ($("o-stage-on").checked) out.push({ vary: "handoff.stage=" + choices("o-stages"), policy: "stage_gate" });
  if ($("o-approach-on").checked) out.push({ vary: "outreach.approach=" + choices("o-approaches") });
  if ($("o-reps-on").checked) out.push({ vary: "outreach.reps=" + range("reps") });
  if ($("o-attempts-on").checked) out.push({ vary: "outreach.max_unanswered_touches=" + range("attempts") });
  return out;
}

// The overrides under every configuration: the Explore view's, less the
// varied keys (a parameter is set once) and, when a handoff parameter is
// varied, less every handoff key.
function baseSet(vs) {
  const keys = vs.map((v) => v.vary.slice(0, v.vary.indexOf("=")));
  const handoff = vs.some((v) => v.policy);
  return overrides().filter((s) => !keys.includes(s.slice(0, s.indexOf("="))) && !(handoff && s.startsWith("handoff.")));
}

// The --vary list: a handoff parameter of another policy than the file's
// comes with that policy, as a one-value --vary (a --set policy would need
// the parameter set too, and a parameter is set once).
function varyList(vs) {
  const file = (current.spec.handoff || {}).policy;
  const policy = vs.map((v) => v.policy).find((p) => p && p !== file);
  return (policy ? ["handoff.policy=" + policy] : []).concat(vs.map((v) => v.vary));
}

// How many configurations the ticked ranges make (the server counts them
// again; this is for the room to see before running).
function gridSize() {
  return varied().reduce((n, v) => {
    const values = v.vary.slice(v.vary.indexOf("=") + 1);
    if (!values.includes(":")) return n * values.split(",").filter((x) => x).length;
    const [a, b, h] = values.split(":").map(Number);
    return n * (h > 0 && b >= a ? Math.floor((b - a) / h + 1e-9) + 1 : 0);
  }, 1);
}

function showGrid() {
  const n = varied().length;
  $("o-count").textContent = n === 0 ? "Tick what to vary." :
    n > MOST_VARIED ? `At most ${MOST_VARIED} at once.` : `${gridSize()} configurations.`;
  $("o-run").disabled = n === 0 || n > MOST_VARIED || gridSize() === 0;
}

// Defaults from the scenario and the Explore view: its stages, its reps
// and contact attempts, and an indifference of about 2% of the current
// result for money objectives (1 point for rates).
function fillPanel() {
  if (!current) return;
  const stages = current.spec.stages.map((st) => st.name);
  $("o-stages").innerHTML = stages.map((st, i) =>
    `<label class="check"><input type="checkbox" value="${esc(st)}"${i >= stages.length - 3 ? " checked" : ""}> ${esc(st.replace(/_/g, " "))}</label>`).join("");
  for (const input of document.querySelectorAll("#o-stages input")) input.addEventListener("change", showGrid);
  const reps = +$("c-reps").value || 3;
  $("o-reps-from").value = Math.max(1, reps - 2); $("o-reps-to").value = reps + 2;
  const attempts = +$("c-attempts").value || 4;
  $("o-attempts-from").value = Math.max(1, attempts - 2); $("o-attempts-to").value = attempts + 4;
  defaultIndifference();
  showGrid();
}

function defaultIndifference() {
  const o = OBJECTIVES[$("o-objective").value];
  $("o-unit").textContent = o.words;
  let d = o.unit === "rate" ? 1 : o.unit === "ratio" ? 0.05 : 10000;
  const m = lastAnswer && lastAnswer.result.metrics[$("o-objective").value];
  if (o.unit === "money" && m && isFinite(m.mean) && m.mean !== 0) {
    const x = 0.02 * Math.abs(m.mean), p = Math.pow(10, Math.floor(Math.log10(x)));
    d = Math.round(x / p) * p;
  }
  $("o-indifference").value = d;
}

let optimiseTimer = null;

async function optimise() {
  const vs = varied();
  const objective = $("o-objective").value;
  const budget = $("o-budget").value.trim();
  const request = {
    scenario: current.id, set: baseSet(vs), vary: varyList(vs), objective,
    indifference: +(+$("o-indifference").value * OBJECTIVES[objective].scale).toPrecision(12),
    confidence: +$("o-confidence").value, page: optimisePage,
  };
  if (budget) request.budget = +budget;
  const started = Date.now();
  const n = gridSize();
  const working = () => {
    $("o-status").textContent = `Working… ${Math.round((Date.now() - started) / 1000)} s: ${n} configurations on the same buyers, the clearly worse dropped as they show.`;
  };
  working();
  clearInterval(optimiseTimer);
  optimiseTimer = setInterval(working, 1000);
  $("o-error").hidden = true;
  document.body.dataset.optimise = "running";
  let response, body;
  try {
    response = await fetch("/api/optimise", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(request),
    });
    body = await response.json();
  } catch (e) {
    body = { error: "The console did not answer: " + e };
  }
  if (response && response.status === 409) return; // replaced by a newer optimisation
  clearInterval(optimiseTimer);
  if (!response || !response.ok) {
    $("o-error").textContent = body.error || "the optimisation failed";
    $("o-error").hidden = false;
    $("o-status").textContent = "";
    document.body.dataset.optimise = "error";
    return;
  }
  showAnswer(body);
  document.body.dataset.optimise = "done";
}

let chosenSet = null;

function showAnswer(a) {
  const o = OBJECTIVES[a.objective];
  $("o-status").textContent = `${a.scenario.name}: ${a.configurations.length} configurations, seed ${a.seed}, confidence ${100 * a.confidence}%.`;
  chosenSet = a.chosen ? a.chosen.set : null;
  $("o-chosen").textContent = a.chosen ? a.chosen.varied.map(pretty).join(", ") : "none";
  $("o-explore").disabled = !a.chosen;
  $("o-sentences").innerHTML = a.sentences.map((s) => `<li>${esc(s)}</li>`).join("");
  const state = (c) => {
    if (a.chosen && c.configuration === a.chosen.configuration) return ["chosen", "best"];
    if (a.inseparable.some((x) => x.configuration === c.configuration)) return ["not separated from it", "close"];
    if (c.fate === "infeasible") return [`breaks a constraint (after ${c.eliminated_after})`, ""];
    if (c.fate === "undefined") return ["cannot be measured", ""];
    return [`dropped after ${c.eliminated_after}`, ""];
  };
  // As the command line lists them: the chosen, the others in contention,
  // then the latest dropped first.
  const rank = (c) => (state(c)[1] === "best" ? 2e9 : state(c)[1] === "close" ? 1e9 : c.eliminated_after || 0);
  const rows = [...a.configurations].sort((x, y) => rank(y) - rank(x) || x.configuration - y.configuration);
  $("o-table").innerHTML = rows.map((c) => {
    const [fate, cls] = state(c);
    return `<tr class="${cls}"><td>${c.configuration}</td><td>${esc(c.varied.map(pretty).join(", "))}</td><td>${fmt("whole", c.replications)}</td><td>${fmt(o.unit, c.objective.mean)}</td><td>${esc(fate)}</td></tr>`;
  }).join("");
  $("o-objective-head").textContent = a.objective.replace(/_/g, " ");
  const spent = [{ label: "replications used", value: a.replications }];
  if (a.full_grid_replications !== null && a.stop === "guarantee") spent.push({ label: "full grid, same precision", value: a.full_grid_replications });
  bars($("o-spent"), spent, "whole");
  $("o-command").textContent = a.command;
  $("o-answer").hidden = false;
}

// The chosen configuration into the Explore controls (and Advanced for
// what no control holds); the room then runs it as any other change.
function explore() {
  if (!chosenSet) return;
  // A handoff parameter needs its policy in the controls too, when the
  // file's policy is the one it belongs to (so the answer did not name it).
  const needs = { "handoff.threshold": "score_threshold", "handoff.stage": "stage_gate" };
  const key = (s) => s.slice(0, s.indexOf("="));
  const policy = chosenSet.map((s) => needs[key(s)]).find((p) => p);
  const set = policy && !chosenSet.some((s) => key(s) === "handoff.policy") ? ["handoff.policy=" + policy].concat(chosenSet) : chosenSet;
  applyOverrides(set);
  $("controls").scrollIntoView({ behavior: "smooth" });
  changed();
}

function startOptimise() {
  $("o-objective").innerHTML = Object.entries(OBJECTIVES).map(([k, o]) =>
    `<option value="${k}"${k === "close_rate" ? " selected" : ""}>${esc(o.label)}</option>`).join("");
  $("optimise-box").addEventListener("toggle", () => { if ($("optimise-box").open) fillPanel(); });
  $("scenario").addEventListener("change", fillPanel);
  // The header's link opens the panel where it is, below the results (the
  // page's address keeps the Explore state, not the link's anchor).
  $("optimise-link").addEventListener("click", (e) => {
    e.preventDefault();
    $("optimise-box").open = true;
    $("optimise").scrollIntoView({ behavior: "smooth" });
  });
  for (const el of document.querySelectorAll("#optimise-box fieldset input")) el.addEventListener("change", showGrid);
  // Threshold and stage are two handoff policies: one at a time.
  for (const [a, b] of [["o-threshold-on", "o-stage-on"], ["o-stage-on", "o-threshold-on"]]) {
    $(a).addEventListener("change", () => { if ($(a).checked) $(b).checked = false; showGrid(); });
  }
  $("o-objective").addEventListener("change", defaultIndifference);
  $("o-run").addEventListener("click", optimise);
  $("o-explore").addEventListener("click", explore);
}

startOptimise();
