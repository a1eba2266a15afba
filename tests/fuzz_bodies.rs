//! The fuzz targets' bodies (fuzz/bodies/), run on a small seed corpus: they
//! must compile against the library as it is and never panic. `cargo fuzz`
//! (nightly) explores further from the same bodies.

include!("../fuzz/bodies/overrides.rs");
include!("../fuzz/bodies/crm_reader.rs");

#[test]
fn override_and_vary_parsing_never_panics() {
    let corpus = [
        "outreach.reps=3",
        "outreach..reps=3\noutreach.reps.=3",
        "stages[0.receptivity=1\nstages[[0]].receptivity=1\nstages[99].receptivity=1",
        "name=\"abc\nname='x\nname=[1,\nname={",
        "handoff.threshold=60\nhandoff.policy=score_threshold",
        "handoff.threshold=40:80:10\nhandoff.threshold=1,2,3",
        "outreach.reps=1:3:1\noutreach.reps=1:3:1",
        "simulation.seed=18446744073709551615\nsimulation.seed=-1",
        "=\n[\n]\n.\n..\n=[]\n[0]=1\na[0][1][2]=x",
        "stages.unaware.dwell.sigma=1e308\nsegments[0].deal_value=1",
        "channels.web.arrivals.process=bursts\nchannels.web.arrivals.events=[]",
        "\u{0}=\u{0}\nöäü.ß=é",
    ];
    for c in corpus {
        fuzz_overrides(c.as_bytes());
    }
}

#[test]
fn crm_reading_never_panics() {
    let corpus: [&[u8]; 8] = [
        b"",
        b"opportunity_id,stage,entered_at\n",
        b"opportunity_id,stage,entered_at\n1,lead,2024-01-01\n1,qualified,2024-01-05\n",
        b"opportunity_id,stage,entered_at,amount\n1,lead,not a date,-5\n",
        b"opportunity_id,stage,entered_at\n1,lead,2024-01-01\n1,lead,2023-01-01\n\"unterminated",
        b"\xff\xfe\x00garbage,\n,,,\n",
        b"opportunity_id,stage,entered_at,outcome,closed_at\n1,closed,2024-01-01,won,2023-12-31\n",
        b"a,b\n1,2\n",
    ];
    for c in corpus {
        fuzz_crm_reader(c);
    }
}
