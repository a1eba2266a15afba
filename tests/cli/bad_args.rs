//! Bad command lines, table-driven: every flag, `--set`, `--vary` and CRM
//! file below is refused with exit status 2 and a message containing the
//! expected text, and nothing is written (no `--out`, nothing in the working
//! directory). Together with the `tests/bad_scenarios/` corpus this covers
//! every kind of input a user gives.

use std::path::{Path, PathBuf};

use super::funnelsim;

/// `(arguments, text the message must contain)`. `{S}` is a shipped
/// scenario, `{D}` the directory of CRM files written by [`crm_files`].
const CASES: &[(&[&str], &str)] = &[
    // --set: malformed paths and values.
    (&["run", "{S}", "--set", "outreach..reps=3"], "empty key"),
    (&["run", "{S}", "--set", "outreach.reps.=3"], "ends with '.'"),
    (&["run", "{S}", "--set", ".outreach.reps=3"], "empty key"),
    (
        &["run", "{S}", "--set", "stages[0.receptivity=0.5"],
        "'[' is never closed",
    ),
    (
        &["run", "{S}", "--set", "stages[[0]].receptivity=0.5"],
        "is not an index",
    ),
    (
        &["run", "{S}", "--set", "stages[x].receptivity=0.5"],
        "is not an index",
    ),
    (
        &["run", "{S}", "--set", "stages[-1].receptivity=0.5"],
        "is not an index",
    ),
    (
        &["run", "{S}", "--set", "stages[0]x.receptivity=0.5"],
        "unexpected 'x' after an index",
    ),
    (
        &["run", "{S}", "--set", "stages]0[.receptivity=0.5"],
        "malformed key path",
    ),
    (&["run", "{S}", "--set", "name=\"abc"], "is not a valid value"),
    (&["run", "{S}", "--set", "name='abc"], "is not a valid value"),
    (&["run", "{S}", "--set", "name=[1,"], "is not a valid value"),
    (
        &["run", "{S}", "--set", "outreach.scores={"],
        "is not a valid value",
    ),
    (
        &["run", "{S}", "--set", "outreach.reps"],
        "expected KEY.PATH=VALUE",
    ),
    (&["run", "{S}", "--set", "=5"], "the key path is empty"),
    (
        &["run", "{S}", "--set", "outreach.repz=3"],
        "closest valid keys: reps",
    ),
    (
        &["run", "{S}", "--set", "channels.inbund.fit=0.3"],
        "did you mean inbound",
    ),
    (
        &["run", "{S}", "--set", "stages[99].receptivity=0.5"],
        "out of range",
    ),
    (
        &["run", "{S}", "--set", "outreach.reps[0]=1"],
        "not a table or list",
    ),
    // --set: values in the user's words (item 11).
    (
        &["run", "{S}", "--set", "outreach.reps=six"],
        "expected a whole number ≥ 0, got six",
    ),
    (
        &["run", "{S}", "--set", "outreach.reps=-1"],
        "expected a whole number ≥ 0, got -1",
    ),
    (
        &["run", "{S}", "--set", "outreach.reps=2.5"],
        "expected a whole number ≥ 0, got 2.5",
    ),
    (
        &["run", "{S}", "--set", "outreach.reps=[1,2]"],
        "expected a whole number ≥ 0, got a list",
    ),
    (
        &["run", "{S}", "--set", "simulation.seed=-1"],
        "expected a whole number ≥ 0, got -1",
    ),
    (
        &["run", "{S}", "--set", "channels[0].fit=high"],
        "expected a number, got high",
    ),
    (
        &["run", "{S}", "--set", "marketing.nurture=maybe"],
        "expected true or false, got maybe",
    ),
    (&["run", "{S}", "--set", "name=3"], "expected text, got 3"),
    (
        &["run", "{S}", "--set", "outreach.approach=pushy"],
        "unknown value `pushy`",
    ),
    (
        &["run", "{S}", "--set", "handoff.policy=whenever"],
        "unknown value `whenever`",
    ),
    (
        &["run", "{S}", "--set", "channels[0].kind=billboard"],
        "unknown value `billboard`",
    ),
    // --set: keys that do not apply to the chosen variant (item 8).
    (
        &["run", "{S}", "--set", "handoff.threshold=60"],
        "does not apply to policy = \"immediate\"",
    ),
    (
        &["run", "{S}", "--set", "handoff.days=3"],
        "days belongs to policy = delay",
    ),
    (
        &["run", "{S}", "--set", "handoff.stage=validating"],
        "does not apply to policy = \"immediate\"",
    ),
    (
        &["run", "{S}", "--set", "handoff.treshold=60"],
        "did you mean threshold",
    ),
    (
        &[
            "run",
            "{S}",
            "--set",
            "handoff.policy=delay",
            "--set",
            "handoff.threshold=60",
        ],
        "does not apply to policy = \"delay\", which takes only days",
    ),
    (
        &["run", "{S}", "--set", "stages[0].dwell.shape=2"],
        "does not apply to distribution = \"exponential\"",
    ),
    (
        &["run", "{S}", "--set", "segments[0].deal_value.sigma=400"],
        "does not apply to distribution = \"fixed\"",
    ),
    (
        &["run", "{S}", "--set", "channels[0].arrivals.events=[]"],
        "does not apply to process = \"poisson\"",
    ),
    (
        &["run", "{S}", "--set", "handoff.policy=score_threshold"],
        "missing required key `threshold`",
    ),
    (
        &[
            "run",
            "{S}",
            "--set",
            "handoff.policy=stage_gate",
            "--set",
            "handoff.stage=validatng",
        ],
        "did you mean 'validating'",
    ),
    // --set: bounds with their reasons (items 4 and 6).
    (
        &["run", "{S}", "--set", "outreach.reps=2000000000"],
        "at most 10000",
    ),
    (&["run", "{S}", "--set", "outreach.reps=10001"], "no sales team"),
    (
        &["run", "{S}", "--set", "outreach.max_unanswered_touches=300"],
        "one byte",
    ),
    (
        &["run", "{S}", "--set", "outreach.max_unanswered_touches=256"],
        "at most 255",
    ),
    (
        &["run", "{S}", "--set", "outreach.max_unanswered_touches=0"],
        "at least 1",
    ),
    (
        &[
            "run",
            "{S}",
            "--set",
            "segments[0].deal_value={ distribution = \"lognormal\", median = 30000, sigma = 400 }",
        ],
        "not an amount",
    ),
    (
        &[
            "run",
            "{S}",
            "--set",
            "stages[0].dwell={ distribution = \"lognormal\", mean_days = 5, sigma = 50 }",
        ],
        "at most 5",
    ),
    (
        &[
            "run",
            "{S}",
            "--set",
            "stages[0].dwell={ distribution = \"gamma\", mean_days = 5, shape = 1e-9 }",
        ],
        "too small",
    ),
    (
        &["run", "{S}", "--set", "segments[0].deal_value.value=1e300"],
        "trillion",
    ),
    (
        &["run", "{S}", "--set", "segments[0].deal_value.value=inf"],
        "must be a positive number",
    ),
    (&["run", "{S}", "--set", "segments[0].pace=1e6"], "never decides"),
    (
        &["run", "{S}", "--set", "channels[0].spend.fixed_per_year=1e308"],
        "more than a trillion",
    ),
    (
        &["run", "{S}", "--set", "outreach.cost_per_rep_day=-400"],
        "zero or a positive number",
    ),
    (
        &["run", "{S}", "--set", "marketing.cost_per_touch=1e13"],
        "more than a trillion",
    ),
    (
        &["run", "{S}", "--set", "stages[0].dwell.mean_days=1e308"],
        "100 years",
    ),
    (
        &["run", "{S}", "--set", "stages[0].dwell.mean_days=inf"],
        "must be a positive number",
    ),
    (
        &["run", "{S}", "--set", "stages[0].dwell.mean_days=nan"],
        "must be a positive number",
    ),
    (
        &["run", "{S}", "--set", "simulation.horizon_days=1e9"],
        "100 years",
    ),
    (
        &["run", "{S}", "--set", "simulation.runoff_days=-inf"],
        "zero or a positive number",
    ),
    (
        &["run", "{S}", "--set", "simulation.replications=0"],
        "at least 1",
    ),
    (
        &["run", "{S}", "--set", "outreach.touch_spacing_days=0.0001"],
        "15 minutes",
    ),
    (
        &["run", "{S}", "--set", "outreach.follow_up_every_days=0"],
        "must be a positive number",
    ),
    (
        &["run", "{S}", "--set", "marketing.touch_every_days=1e-6"],
        "events explode",
    ),
    (
        &["run", "{S}", "--set", "outreach.first_response_days=1e6"],
        "100 years",
    ),
    (
        &["run", "{S}", "--set", "outreach.touches_per_rep_per_day=1e9"],
        "at most 1000",
    ),
    (
        &["run", "{S}", "--set", "marketing.score_noise_sd=1000"],
        "drowns any signal",
    ),
    (
        &["run", "{S}", "--set", "marketing.dwell_speedup=1e9"],
        "hundredfold",
    ),
    (&["run", "{S}", "--set", "decision.base_us=1e300"], "exp()"),
    (&["run", "{S}", "--set", "decision.trust_weight=inf"], "finite"),
    (
        &["run", "{S}", "--set", "outreach.pushiness=2"],
        "not a probability",
    ),
    (
        &["run", "{S}", "--set", "channels[0].fit=1.5"],
        "not a probability",
    ),
    (
        &["run", "{S}", "--set", "response.go_dark_base=-0.1"],
        "not a probability",
    ),
    (
        &["run", "{S}", "--set", "channels[0].stage_mix={ unawre = 1.0 }"],
        "did you mean 'unaware'",
    ),
    // Other flags of run.
    (
        &["run", "{S}", "--replications", "0"],
        "--replications must be at least 1",
    ),
    (&["run", "{S}", "--threads", "0"], "--threads must be at least 1"),
    (&["run", "{S}", "-n", "many"], "invalid value 'many'"),
    (&["run", "{S}", "--seed", "-1"], "unexpected argument '-1'"),
    (&["run", "{S}", "--format", "xls"], "invalid value 'xls'"),
    (
        &["run", "does_not_exist.toml"],
        "cannot read scenario file does_not_exist.toml",
    ),
    // optimise: its own flags (its --vary is sweep's, tested below).
    (
        &[
            "optimise",
            "{S}",
            "--vary",
            "outreach.reps=1,2",
            "--objective",
            "speed",
            "--indifference",
            "1",
        ],
        "unknown objective 'speed'",
    ),
    (
        &[
            "optimise",
            "{S}",
            "--vary",
            "outreach.reps=1,2",
            "--indifference",
            "-1",
        ],
        "invalid value '-1' for '--indifference <DELTA>'",
    ),
    (
        &[
            "optimise",
            "{S}",
            "--vary",
            "outreach.reps=1,2",
            "--indifference",
            "1",
            "--confidence",
            "1",
        ],
        "invalid value '1' for '--confidence <P>': must be strictly between 0 and 1",
    ),
    (
        &[
            "optimise",
            "{S}",
            "--vary",
            "outreach.reps=1,2",
            "--indifference",
            "1",
            "--confidence",
            "0",
        ],
        "must be strictly between 0 and 1",
    ),
    (
        &[
            "optimise",
            "{S}",
            "--vary",
            "outreach.reps=1,2",
            "--indifference",
            "1",
            "--constraint",
            "cost_per_win < 3",
        ],
        "expected METRIC <= NUMBER or METRIC >= NUMBER",
    ),
    (
        &[
            "optimise",
            "{S}",
            "--vary",
            "outreach.reps=1,2",
            "--indifference",
            "1",
            "--constraint",
            "cost_per_win <= cheap",
        ],
        "'cheap' is not a number",
    ),
    (
        &[
            "optimise",
            "{S}",
            "--vary",
            "outreach.reps=1,2",
            "--indifference",
            "1",
            "--constraint",
            "cost_per_wn <= 3",
        ],
        "--constraint 'cost_per_wn <= 3': unknown metric 'cost_per_wn'; closest: cost_per_win",
    ),
    (
        &[
            "optimise",
            "{S}",
            "--vary",
            "outreach.reps=1,2",
            "--indifference",
            "0",
        ],
        "--indifference 0 never ends by itself",
    ),
    (
        &[
            "optimise",
            "{S}",
            "--vary",
            "outreach.reps=1,2",
            "--indifference",
            "1",
            "--budget",
            "30",
        ],
        "--budget 30 cannot pay for the first stage: 2 configurations × --first-stage 20 = 40",
    ),
    (
        &[
            "optimise",
            "{S}",
            "--vary",
            "outreach.reps=1,2",
            "--indifference",
            "1",
            "--first-stage",
            "1",
        ],
        "--first-stage 1 is too few",
    ),
    (
        &[
            "optimise",
            "{S}",
            "--vary",
            "outreach.reps=1,2",
            "--indifference",
            "1",
            "-n",
            "50",
        ],
        "instead of --replications give --first-stage",
    ),
    (
        &["optimise", "{S}", "--vary", "outreach.reps=1,2"],
        "--indifference <DELTA>",
    ),
    // sweep --vary (items 8 and 9).
    (
        &[
            "sweep",
            "{S}",
            "--vary",
            "outreach.reps=1,2",
            "--vary",
            "outreach.reps=3,4",
        ],
        "the same path is varied twice",
    ),
    (
        &["sweep", "{S}", "--vary", "handoff.threshold=40:80:10"],
        "--vary handoff.threshold: does not apply to policy = \"immediate\"",
    ),
    (
        &[
            "sweep",
            "{S}",
            "--set",
            "outreach.reps=3",
            "--vary",
            "outreach.reps=1,2",
        ],
        "is also set by the override outreach.reps",
    ),
    (
        &[
            "sweep",
            "{S}",
            "--vary",
            "stages[0].receptivity=0.1,0.2",
            "--vary",
            "stages.unaware.receptivity=0.3",
        ],
        "is also varied as stages[0].receptivity",
    ),
    (&["sweep", "{S}", "--vary", "outreach..reps=1,2"], "empty key"),
    (
        &["sweep", "{S}", "--vary", "stages[0.receptivity=0,1"],
        "'[' is never closed",
    ),
    (
        &["sweep", "{S}", "--vary", "outreach.reps=1:0:1"],
        "the range is empty",
    ),
    (
        &["sweep", "{S}", "--vary", "outreach.reps=0:1:0"],
        "the step must be positive",
    ),
    (
        &["sweep", "{S}", "--vary", "outreach.reps=0:1e9:1"],
        "at most 10000",
    ),
    (
        &["sweep", "{S}", "--vary", "outreach.reps"],
        "expected PATH=START:STOP:STEP",
    ),
    (
        &["sweep", "{S}", "--vary", "outreach.reps=1:2"],
        "a range needs START:STOP:STEP",
    ),
    (
        &["sweep", "{S}", "--vary", "outreach.reps=a:b:c"],
        "'a' is not a number",
    ),
    (
        &["sweep", "{S}", "--vary", "outreach.reps=1:inf:1"],
        "'inf' is not a number",
    ),
    (&["sweep", "{S}", "--vary", "name=\"x,y"], "is not a valid value"),
    (&["sweep", "{S}", "--vary", "=1,2"], "the key path is empty"),
    (
        &[
            "sweep",
            "{S}",
            "--vary",
            "outreach.reps=1:200:1",
            "--vary",
            "outreach.cost_per_touch=1:200:1",
        ],
        "more than 10000 points",
    ),
    (
        &["sweep", "{S}", "--vary", "outreach.reps=1,six"],
        "expected a whole number ≥ 0, got six",
    ),
    (
        &["sweep", "{S}", "--vary", "outreach.reps=9999,20000"],
        "at most 10000",
    ),
    (
        &["sweep", "{S}", "--vary", "outreach.repz=1,2"],
        "closest valid keys: reps",
    ),
    (
        &[
            "sweep",
            "{S}",
            "--vary",
            "outreach.reps=1,2",
            "--objective",
            "close",
        ],
        "unknown objective 'close'",
    ),
    (
        &[
            "sweep",
            "{S}",
            "--vary",
            "outreach.reps=1,2",
            "--set",
            "outreach.reps.=1",
        ],
        "ends with '.'",
    ),
    // sensitivity (item 11).
    (
        &["sensitivity", "{S}", "--metric", "close"],
        "closest: close_rate",
    ),
    (
        &["sensitivity", "{S}", "--metric", "close"],
        "metrics are: leads, won",
    ),
    (
        &["sensitivity", "{S}", "--params", "outreach.repz"],
        "not a numeric parameter",
    ),
    (&["sensitivity", "{S}", "--delta", "150%"], "between 0% and 100%"),
    (
        &["sensitivity", "{S}", "--delta", "lots"],
        "is not a fraction or percentage",
    ),
    (
        &["sensitivity", "{S}", "--set", "handoff.threshold=60"],
        "does not apply",
    ),
    // compare and report.
    (
        &["compare", "{S}", "{S}", "--set", "outreach..reps=1"],
        "empty key",
    ),
    (
        &["compare", "{S}", "does_not_exist.toml"],
        "cannot read scenario file",
    ),
    (
        &["compare", "{S}", "{S}", "--set", "outreach.reps=six"],
        "got six",
    ),
    (
        &["report", "{S}", "--set", "handoff.threshold=60"],
        "does not apply",
    ),
    (
        &["report", "{S}", "--set", "outreach.max_unanswered_touches=1000"],
        "at most 255",
    ),
    // calibrate: CRM files and flags.
    (
        &["calibrate", "{D}/empty.csv", "--stages", "lead,won"],
        "empty CSV",
    ),
    (
        &["calibrate", "{D}/no_columns.csv", "--stages", "lead,won"],
        "no column 'opportunity_id'",
    ),
    (
        &["calibrate", "{D}/bad_date.csv", "--stages", "lead,won"],
        "unreadable timestamp 'notadate'",
    ),
    (
        &["calibrate", "{D}/header_only.csv", "--stages", "lead,won"],
        "no usable opportunities",
    ),
    (
        &["calibrate", "{D}/binary.csv", "--stages", "lead,won"],
        "invalid utf-8",
    ),
    (
        &["calibrate", "{D}/bad_amount.csv", "--stages", "lead,won"],
        "unreadable amount 'abc'",
    ),
    (
        &["calibrate", "{D}/bad_outcome.csv", "--stages", "lead,won"],
        "unknown outcome 'maybe'",
    ),
    (
        &["calibrate", "{D}/missing.csv", "--stages", "lead,won"],
        "does not exist",
    ),
    (
        &["calibrate", "{D}/bad_date.csv", "--stages", ","],
        "--stages needs at least one stage name",
    ),
    (
        &["calibrate", "{D}/bad_date.csv", "--stages", "lead,lead"],
        "names 'lead' twice",
    ),
    (
        &[
            "calibrate",
            "{D}/good.csv",
            "--stages",
            "lead,won",
            "--as-of",
            "yesterday",
        ],
        "is not a timestamp",
    ),
    (
        &["calibrate", "{D}/good.csv", "--stages", "lead,won", "-n", "0"],
        "--replications must be at least 1",
    ),
    (
        &[
            "calibrate",
            "{D}/good.csv",
            "--stages",
            "lead,won",
            "--id-col",
            "nope",
        ],
        "no column 'nope'",
    ),
    (
        &[
            "calibrate",
            "{D}/good.csv",
            "--stages",
            "lead,won",
            "--outcome-col",
            "outcom",
        ],
        "the closest header is 'outcome'",
    ),
    (
        &[
            "calibrate",
            "{D}/good.csv",
            "--stages",
            "lead,won",
            "--layout",
            "bogus",
        ],
        "invalid value 'bogus'",
    ),
    (
        &[
            "calibrate",
            "{D}/good.csv",
            "--stages",
            "lead,won",
            "--layout",
            "wide",
        ],
        "cannot read it as --layout wide",
    ),
    (
        &["calibrate", "{D}/no_columns.csv", "--stages", "lead,won"],
        "cannot tell its layout",
    ),
    (
        &[
            "calibrate",
            "{D}/good.csv",
            "--stages",
            "lead,won",
            "--map-outcome",
            "lead=maybe",
        ],
        "'maybe' is not an outcome",
    ),
    (
        &[
            "calibrate",
            "{D}/good.csv",
            "--stages",
            "lead,won",
            "--map-outcome",
            "lead=won",
        ],
        "'lead' is a stage",
    ),
    (
        &[
            "calibrate",
            "{D}/good.csv",
            "--stages",
            "lead,won",
            "--map-stage",
            "x=nowhere",
        ],
        "'nowhere' is not one of --stages",
    ),
    (
        &[
            "calibrate",
            "{D}/good.csv",
            "--stages",
            "lead,won",
            "--map-stage",
            "lead",
        ],
        "is not RAW=VALUE",
    ),
    (
        &[
            "calibrate",
            "{D}/good.csv",
            "--stages",
            "lead,won",
            "--date-format",
            "%Q",
        ],
        "is not a strftime format",
    ),
    (
        &[
            "calibrate",
            "{D}/good.csv",
            "--stages",
            "lead,won",
            "--layout",
            "long",
            "--stage-date",
            "lead=closed_at",
        ],
        "--stage-date does not apply",
    ),
    (
        &[
            "calibrate",
            "{D}/good.csv",
            "--stages",
            "lead,won",
            "--stage-date",
            "nowhere=closed_at",
        ],
        "'nowhere' is not one of --stages",
    ),
    (
        &["calibrate", "{D}/ambiguous.csv", "--stages", "lead,won"],
        "could be month first or day first",
    ),
    (&["run", "{S}", "--layout", "wide"], "--export-history"),
];

/// Bad (and one good) CRM exports for the calibrate cases.
fn crm_files(dir: &Path) {
    let files: [(&str, &[u8]); 9] = [
        ("empty.csv", b""),
        ("no_columns.csv", b"a,b\n1,2\n"),
        ("bad_date.csv", b"opportunity_id,stage,entered_at\n1,lead,notadate\n"),
        ("header_only.csv", b"opportunity_id,stage,entered_at\n"),
        ("binary.csv", b"\xff\xfe\x00,\n"),
        ("bad_amount.csv", b"opportunity_id,stage,entered_at,amount\n1,lead,2024-01-01,abc\n"),
        (
            "bad_outcome.csv",
            b"opportunity_id,stage,entered_at,outcome\n1,lead,2024-01-01,maybe\n",
        ),
        (
            "ambiguous.csv",
            b"opportunity_id,stage,entered_at\n1,lead,03/04/2024\n1,won,03/05/2024\n",
        ),
        (
            "good.csv",
            b"opportunity_id,stage,entered_at,outcome,closed_at\n1,lead,2024-01-01,,\n1,won,2024-01-09,won,2024-01-09\n",
        ),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// Every entry of `dir`, sorted.
fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// Every file of `dir` with its contents, to tell a changed input.
fn contents(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    listing(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_default();
            (p, bytes)
        })
        .collect()
}

#[test]
fn every_bad_command_line_is_refused_cleanly() {
    let scenario = super::scenario("markov_check");
    let inputs = tempfile::tempdir().unwrap();
    crm_files(inputs.path());
    let before_inputs = contents(inputs.path());
    let mut failures = Vec::new();
    for (args, expected) in CASES {
        let cwd = tempfile::tempdir().unwrap();
        let out = cwd.path().join("out");
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                a.replace("{S}", &scenario.display().to_string())
                    .replace("{D}", &inputs.path().display().to_string())
            })
            .collect();
        let mut cmd = funnelsim();
        cmd.current_dir(cwd.path()).args(&args);
        match args[0].as_str() {
            // calibrate's --out is a file; by default it writes into the
            // working directory, which must stay empty.
            "calibrate" => {}
            _ => {
                cmd.arg("--out").arg(&out);
            }
        }
        let o = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        let shown = args.join(" ");
        if o.status.code() != Some(2) {
            failures.push(format!("{shown}: exit {:?}: {stderr}", o.status.code()));
        }
        if !stderr.contains(expected) {
            failures.push(format!("{shown}: message lacks '{expected}': {stderr}"));
        }
        if stderr.contains("panicked") {
            failures.push(format!("{shown}: panicked: {stderr}"));
        }
        if !o.stdout.is_empty() {
            failures.push(format!("{shown}: printed results"));
        }
        if !listing(cwd.path()).is_empty() {
            failures.push(format!("{shown}: wrote {:?}", listing(cwd.path())));
        }
    }
    assert!(contents(inputs.path()) == before_inputs, "inputs changed");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn at_least_a_hundred_distinct_bad_inputs_are_tested() {
    let mut args: Vec<String> = CASES.iter().map(|(a, _)| a.join(" ")).collect();
    args.sort();
    args.dedup();
    let files = std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bad_scenarios"))
        .unwrap()
        .count();
    assert!(
        args.len() + files >= 100,
        "{} command lines + {files} files",
        args.len()
    );
}
