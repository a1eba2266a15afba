// funnelsim console: controls → --set overrides → POST /api/run → cards,
// sentences and charts. No framework, nothing fetched but this server's API.
"use strict";

const $ = (id) => document.getElementById(id);
const page = Math.random().toString(36).slice(2) + Date.now().toString(36);
let scenarios = [];
let current = null; // the chosen scenario (from /api/scenarios)
let lastAnswer = null;
let timer = null;

// The headline cards: metric, label, unit, and which way is better (+1:
// more is better, −1: less is).
const CARDS = [
  ["won", "Deals won", "count", 1],
  ["close_rate", "Close rate", "rate", 1],
  ["revenue", "Revenue", "money", 1],
  ["cycle_days", "Sales cycle", "days", -1],
  ["response_days", "First response", "days", -1],
  ["share.went_dark", "Leads that went dark", "rate", -1],
];

function fmt(unit, x, signed) {
  if (x === null || x === undefined || !isFinite(x)) return "–";
  const sign = signed && x > 0 ? "+" : "";
  switch (unit) {
    case "rate": return sign + (100 * x).toFixed(1) + (signed ? " pts" : "%");
    case "money": {
      const a = Math.abs(x);
      const s = a >= 1e6 ? (a / 1e6).toFixed(2) + "M" : a >= 1e3 ? (a / 1e3).toFixed(0) + "k" : a.toFixed(0);
      return (x < 0 ? "−" : sign) + "$" + s;
    }
    case "days":
      if (Math.abs(x) < 1) return sign + (24 * x).toFixed(1) + " hours";
      return sign + x.toFixed(1) + " days";
    case "whole": return sign + Math.round(x).toLocaleString("en-US");
    default: return sign + (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1));
  }
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// ---- controls ↔ overrides -------------------------------------------------

function startValues(spec) {
  const h = spec.handoff || { policy: "immediate" };
  // A stage gate's default: the first stage where most buyers welcome a call.
  const gate = (spec.stages.find((st) => st.receptivity >= 0.5) || spec.stages[spec.stages.length - 1]).name;
  const o = spec.outreach || {};
  return {
    policy: h.policy, threshold: h.threshold ?? 60, stage: h.stage ?? gate, propensity: h.propensity ?? 0.5, delay: h.days ?? 30,
    approach: o.approach, reps: o.reps, response: +(24 * o.first_response_days).toFixed(3), attempts: o.max_unanswered_touches,
    nurture: !!(spec.marketing && spec.marketing.nurture),
    replications: spec.simulation.replications,
  };
}

function poissonChannels(spec) {
  return (spec.channels || []).filter((c) => c.arrivals && c.arrivals.process === "poisson");
}

function setControls(v) {
  $("c-policy").value = v.policy; $("c-threshold").value = v.threshold; $("c-stage").value = v.stage;
  $("c-propensity").value = v.propensity; $("c-delay").value = v.delay;
  $("c-approach").value = v.approach; $("c-reps").value = v.reps; $("c-response").value = v.response;
  $("c-attempts").value = v.attempts; $("c-nurture").checked = v.nurture; $("c-reps-n").value = v.replications;
  for (const input of document.querySelectorAll("#channels input")) input.value = 100;
  $("advanced").value = "";
  showPolicyFields();
}

function showPolicyFields() {
  for (const el of document.querySelectorAll("[data-policy]")) el.hidden = el.dataset.policy !== $("c-policy").value;
}

// The overrides the controls differ from the starting point by.
function overrides() {
  const s = startValues(current.spec);
  const set = [];
  const policy = $("c-policy").value;
  const param = { score_threshold: ["threshold", "c-threshold", s.threshold], stage_gate: ["stage", "c-stage", s.stage], buyer_initiated: ["propensity", "c-propensity", s.propensity], delay: ["days", "c-delay", s.delay] }[policy];
  const paramChanged = param && String($(param[1]).value) !== String(param[2]);
  if (policy !== s.policy || paramChanged) {
    set.push("handoff.policy=" + policy);
    if (param) set.push("handoff." + param[0] + "=" + $(param[1]).value);
  }
  if ($("c-approach").value !== s.approach) set.push("outreach.approach=" + $("c-approach").value);
  if (+$("c-reps").value !== s.reps) set.push("outreach.reps=" + $("c-reps").value);
  if (+$("c-response").value !== s.response) set.push("outreach.first_response_days=" + +($("c-response").value / 24).toFixed(6));
  if (+$("c-attempts").value !== s.attempts) set.push("outreach.max_unanswered_touches=" + $("c-attempts").value);
  if ($("c-nurture").checked !== s.nurture) set.push("marketing.nurture=" + $("c-nurture").checked);
  for (const c of poissonChannels(current.spec)) {
    const pct = +$("ch-" + c.name).value;
    if (pct !== 100) set.push("channels." + c.name + ".arrivals.leads_per_day=" + +(c.arrivals.leads_per_day * pct / 100).toFixed(4));
  }
  for (const line of $("advanced").value.split("\n")) if (line.trim()) set.push(line.trim());
  return set;
}

// Puts overrides (from a URL) back into the controls; the ones no control
// holds go to the advanced field.
function applyOverrides(set) {
  const rest = [];
  const policyParams = { "handoff.threshold": "c-threshold", "handoff.stage": "c-stage", "handoff.propensity": "c-propensity", "handoff.days": "c-delay" };
  for (const item of set) {
    const i = item.indexOf("=");
    const key = item.slice(0, i), value = item.slice(i + 1);
    const ch = key.match(/^channels\.([A-Za-z0-9_]+)\.arrivals\.leads_per_day$/);
    const base = ch && poissonChannels(current.spec).find((c) => c.name === ch[1]);
    if (key === "handoff.policy") $("c-policy").value = value;
    else if (policyParams[key]) $(policyParams[key]).value = value;
    else if (key === "outreach.approach") $("c-approach").value = value;
    else if (key === "outreach.reps") $("c-reps").value = value;
    else if (key === "outreach.first_response_days") $("c-response").value = +(24 * value).toFixed(3);
    else if (key === "outreach.max_unanswered_touches") $("c-attempts").value = value;
    else if (key === "marketing.nurture") $("c-nurture").checked = value === "true";
    else if (base && base.arrivals.leads_per_day > 0) $("ch-" + ch[1]).value = Math.round(100 * value / base.arrivals.leads_per_day);
    else rest.push(item);
  }
  $("advanced").value = rest.join("\n");
  if (rest.length) $("advanced-box").open = true;
  showPolicyFields();
}

function chooseScenario(id) {
  current = scenarios.find((s) => s.id === id) || scenarios[0];
  $("scenario").value = current.id;
  $("description").textContent = current.description;
  const stages = current.spec.stages;
  $("c-stage").innerHTML = stages.map((st) => `<option value="${esc(st.name)}">${esc(st.name.replace(/_/g, " "))}</option>`).join("");
  $("channels").innerHTML = poissonChannels(current.spec).map((c) =>
    `<label>${esc(c.name.replace(/_/g, " "))} budget (% of ${c.arrivals.leads_per_day} leads/day) <input id="ch-${esc(c.name)}" type="number" min="0" max="500" step="10" value="100"></label>`).join("");
  for (const input of document.querySelectorAll("#channels input")) input.addEventListener("change", changed);
  setControls(startValues(current.spec));
}

// ---- URL state ------------------------------------------------------------

function stateHash(set, n) {
  const p = new URLSearchParams();
  p.set("scenario", current.id);
  for (const s of set) p.append("set", s);
  if (n !== startValues(current.spec).replications) p.set("n", n);
  if ($("workshop").checked) p.set("workshop", "1");
  return "#" + p.toString();
}

function loadHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  chooseScenario(p.get("scenario") || (scenarios[0] && scenarios[0].id));
  applyOverrides(p.getAll("set"));
  if (p.get("n")) $("c-reps-n").value = p.get("n");
  $("workshop").checked = p.get("workshop") === "1";
  showWorkshop();
}

// ---- running ----------------------------------------------------------------

function changed() {
  showPolicyFields();
  if ($("workshop").checked) return; // in the room, predict first, then Run
  clearTimeout(timer);
  timer = setTimeout(() => run(false), 250);
}

// `initial`: the step as it stands, run on opening (nothing to predict).
async function run(initial) {
  const set = overrides();
  const n = +$("c-reps-n").value || undefined;
  const counted = $("workshop").checked && initial !== true;
  if (counted && !$("prediction").value.trim()) {
    showError("Predict before you run: write down what you expect to happen.");
    $("prediction").focus();
    return;
  }
  history.replaceState(null, "", stateHash(set, n));
  $("status").textContent = "Running…";
  document.body.dataset.state = "running";
  delete document.body.dataset.ledger;
  let response, body;
  try {
    response = await fetch("/api/run", {
      method: "POST", headers: { "Content-Type": "application/json" },
      // The headline first; the counterfactual ledger (six worlds of the
      // same buyers) follows in a second request.
      body: JSON.stringify({ scenario: current.id, set, replications: n, page, counterfactual: 0 }),
    });
    body = await response.json();
  } catch (e) {
    showError("The console did not answer: " + e);
    return;
  }
  if (response.status === 409) return; // replaced by a newer run from this page
  if (!response.ok) { showError(body.error || "the run failed"); return; }
  $("error").hidden = true;
  lastAnswer = body;
  render(body);
  document.body.dataset.state = "done";
  if (counted) recordTry(body);
  await ledger(set, n, body);
}

// The counterfactual ledger of the run just drawn; a newer run from this
// page cancels it (409) and draws its own.
async function ledger(set, n, answer) {
  $("counterfactual").textContent = "Estimating how many each side could have won…";
  let response, body;
  // A busy console (503) is asked again a few times: the ledger is the
  // last thing a room waits for, not a reason to give up.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      response = await fetch("/api/run", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ scenario: current.id, set, replications: n, page, counterfactual_only: true }),
      });
      body = await response.json();
    } catch (e) {
      if (lastAnswer === answer) $("counterfactual").textContent = "Not estimated: the console did not answer.";
      return;
    }
    if (response.status !== 503 || lastAnswer !== answer) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (response.status === 409 || lastAnswer !== answer) return;
  if (!response.ok) { $("counterfactual").textContent = "Not estimated: " + (body.error || "the run failed"); return; }
  answer.result.blame.counterfactual = body.counterfactual;
  drawLedger(body.counterfactual);
  document.body.dataset.ledger = "done";
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
  $("status").textContent = "";
  document.body.dataset.state = "error";
}

// ---- drawing ----------------------------------------------------------------

// Horizontal bars, one row per item: this run's value, and the starting
// point's as a thin grey bar under it.
function bars(el, rows, unit) {
  const max = Math.max(1e-9, ...rows.flatMap((r) => [Math.abs(r.value || 0), Math.abs(r.start || 0)]));
  const rowH = 56, labelW = 420, barW = 900, W = labelW + barW + 220;
  let svg = `<svg viewBox="0 0 ${W} ${rows.length * rowH + 10}" role="img" data-values="${rows.map((r) => (r.value ?? 0).toFixed(4)).join(" ")}">`;
  rows.forEach((r, i) => {
    const y = i * rowH + 6, w = barW * Math.abs(r.value || 0) / max, w0 = barW * Math.abs(r.start || 0) / max;
    svg += `<text x="${labelW - 12}" y="${y + 26}" text-anchor="end">${esc(r.label)}</text>`;
    svg += `<rect x="${labelW}" y="${y + 4}" width="${w.toFixed(1)}" height="30" fill="#3b6ea8"></rect>`;
    if (r.start !== undefined) svg += `<rect x="${labelW}" y="${y + 38}" width="${w0.toFixed(1)}" height="8" fill="#b0b8c1"><title>starting point: ${esc(fmt(unit, r.start))}</title></rect>`;
    svg += `<text x="${labelW + w + 10}" y="${y + 26}">${esc(fmt(unit, r.value))}</text>`;
  });
  el.innerHTML = svg + "</svg>";
}

// Open deals over time: this run (blue) and the starting point (grey).
function lines(el, p) {
  const W = 1540, H = 420, left = 110, right = 30, top = 20, bottom = 60;
  const days = p.days, xs = (d) => left + (W - left - right) * (d - days[0]) / Math.max(1e-9, days[days.length - 1] - days[0]);
  const max = Math.max(1e-9, ...p.result, ...p.start), ys = (v) => top + (H - top - bottom) * (1 - v / max);
  const path = (vs) => vs.map((v, i) => `${i ? "L" : "M"}${xs(days[i]).toFixed(1)},${ys(v).toFixed(1)}`).join("");
  let svg = `<svg viewBox="0 0 ${W} ${H}" role="img" data-values="${p.result.map((v) => v.toFixed(2)).join(" ")}">`;
  svg += `<line x1="${left}" y1="${H - bottom}" x2="${W - right}" y2="${H - bottom}" stroke="#888"></line>`;
  for (const f of [0, 0.5, 1]) {
    svg += `<text x="${left - 12}" y="${ys(max * f) + 8}" text-anchor="end">${esc(fmt("count", max * f))}</text>`;
  }
  svg += `<text x="${left}" y="${H - 18}">day ${Math.round(days[0])}</text><text x="${W - right}" y="${H - 18}" text-anchor="end">day ${Math.round(days[days.length - 1])}</text>`;
  svg += `<path d="${path(p.start)}" fill="none" stroke="#b0b8c1" stroke-width="5"></path>`;
  svg += `<path d="${path(p.result)}" fill="none" stroke="#3b6ea8" stroke-width="5"></path>`;
  el.innerHTML = svg + "</svg>";
}

function render(a) {
  const r = a.result, start = a.start, diff = a.difference.metrics;
  $("status").textContent = `${a.scenario.name}: ${a.replications} replications, seed ${a.seed}; grey bars show the starting point.`;
  $("cards").innerHTML = CARDS.filter(([m]) => r.metrics[m]).map(([m, label, unit, better]) => {
    const e = r.metrics[m], d = diff[m];
    let dtext = "";
    if (d) {
      const dd = d.difference;
      const cls = d.ci_excludes_zero ? (dd.mean * better > 0 ? "up" : "down") : "";
      dtext = `<div class="diff ${cls}">${fmt(unit, dd.mean, true)} vs start (95% CI ${fmt(unit, dd.ci_low, true)} to ${fmt(unit, dd.ci_high, true)})</div>`;
    }
    return `<div class="card" data-metric="${esc(m)}"><div class="label">${esc(label)}</div><div class="value">${fmt(unit, e.mean)}</div><div class="ci">95% CI ${fmt(unit, e.ci_low)} to ${fmt(unit, e.ci_high)}</div>${dtext}</div>`;
  }).join("");
  $("command").textContent = a.command;
  $("share").href = location.href;
  $("findings").innerHTML = a.findings.map((s) => `<li>${esc(s)}</li>`).join("");
  $("narrative").innerHTML = a.narrative.map((s) => `<li>${esc(s)}</li>`).join("");
  const pretty = (s) => s.replace(/_/g, " ");
  bars($("funnel"), r.funnel.map((f, i) => ({ label: pretty(f.stage), value: f.reached, start: start.funnel[i] && start.funnel[i].reached })), "count");
  bars($("outcomes"), Object.keys(r.outcomes).map((k) => ({ label: pretty(k), value: r.outcomes[k], start: start.outcomes[k] })), "rate");
  lines($("pipeline"), a.pipeline);
  const causes = Object.keys(r.blame.causes).filter((k) => (r.blame.causes[k].count || 0) > 0 || (start.blame.causes[k].count || 0) > 0);
  bars($("blame"), causes.map((k) => ({ label: pretty(k) + " (" + r.blame.causes[k].side + ")", value: r.blame.causes[k].count, start: start.blame.causes[k].count })), "count");
  drawLedger(r.blame.counterfactual);
}

function drawLedger(cf) {
  if (cf) {
    bars($("counterfactual"), [
      { label: "marketing's share", value: cf.shapley.marketing.mean },
      { label: "sales's share", value: cf.shapley.sales.mean },
    ], "count");
  } else {
    $("counterfactual").textContent = "Not estimated for this run.";
  }
}

// ---- workshop ---------------------------------------------------------------

function showWorkshop() {
  const on = $("workshop").checked;
  $("predict").hidden = !on;
  $("board").hidden = !on;
  $("run").textContent = on ? "Run (after predicting)" : "Run";
  if (on) refreshBoard();
}

async function recordTry(a) {
  const d = a.difference.metrics.won;
  await fetch("/api/tries", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      who: $("who").value.trim() || "someone", scenario: a.scenario.id, set: a.set,
      prediction: $("prediction").value.trim(), won: a.result.metrics.won.mean,
      won_difference: d ? d.difference.mean : null, won_difference_ci: d ? [d.difference.ci_low, d.difference.ci_high] : null,
      revenue: a.result.metrics.revenue ? a.result.metrics.revenue.mean : null, command: a.command,
    }),
  });
  $("prediction").value = "";
  refreshBoard();
}

// The scoreboard, grouped by step in the list's order (tries in the order
// they were made); the server marks each step's best so far by the paired
// difference from the step, since deals won do not compare across steps.
// "This step only" shows the chosen step's tries.
async function refreshBoard() {
  const { tries } = await (await fetch("/api/tries")).json();
  const only = $("board-step").checked;
  const label = (id) => {
    const s = scenarios.find((x) => x.id === id);
    return s ? (s.step ? "Step " + s.step + ": " + s.name.replace(/^\d+\.\s*/, "") : s.name) : id;
  };
  const order = (id) => { const i = scenarios.findIndex((x) => x.id === id); return i < 0 ? scenarios.length : i; };
  const steps = [...new Set(tries.map((t) => t.scenario))]
    .filter((id) => !only || id === current.id)
    .sort((a, b) => order(a) - order(b) || (a < b ? -1 : 1));
  let html = "";
  for (const id of steps) {
    html += `<tr class="step"><th colspan="7">${esc(label(id))}</th></tr>`;
    tries.forEach((t, i) => {
      if (t.scenario !== id) return;
      const best = t.best_of_step;
      html += `<tr class="${best ? "best" : ""}"><td>${i + 1}</td><td>${esc(t.who)}</td><td>${esc(t.scenario)}</td><td><code>${esc(t.set.join(" ") || "nothing")}</code></td><td>${esc(t.prediction)}</td><td>${fmt("count", t.won)}</td><td>${fmt("count", t.won_difference, true)} (${t.won_difference_ci ? fmt("count", t.won_difference_ci[0], true) + " to " + fmt("count", t.won_difference_ci[1], true) : "–"})${best ? " best of the step so far" : ""}</td></tr>`;
    });
  }
  $("tries").innerHTML = html || `<tr><td colspan="7">${only ? "No tries of this step yet." : "No tries yet."}</td></tr>`;
}

// ---- start ------------------------------------------------------------------

async function start() {
  const list = await (await fetch("/api/scenarios")).json();
  scenarios = list.scenarios;
  $("scenario").innerHTML = scenarios.map((s) => `<option value="${esc(s.id)}">${s.step ? "Step " + s.step + ": " + esc(s.name.replace(/^\d+\.\s*/, "")) : esc(s.name)}</option>`).join("");
  loadHash();
  $("scenario").addEventListener("change", () => { chooseScenario($("scenario").value); changed(); if ($("workshop").checked) refreshBoard(); });
  $("board-step").addEventListener("change", refreshBoard);
  for (const el of document.querySelectorAll("#controls select, #controls input[type=number], #controls input[type=checkbox]")) el.addEventListener("change", changed);
  $("advanced").addEventListener("change", changed);
  $("workshop").addEventListener("change", () => { showWorkshop(); history.replaceState(null, "", stateHash(overrides(), +$("c-reps-n").value)); });
  $("run").addEventListener("click", () => run(false));
  $("reset").addEventListener("click", () => { setControls(startValues(current.spec)); changed(); });
  run(true);
}

start();
