//! Engine benchmarks (criterion). `cargo bench` runs them; CI only compiles
//! them (`cargo bench --no-run`). See docs/performance.md.
//!
//! * `floor/*`: the floor ratio — a bare loop of the simplest funnel (seven
//!   stages, exponential dwell and a Bernoulli advance per stage, the same
//!   generator) next to the engine running `scenarios/markov_check.toml`,
//!   both per buyer journey.
//! * `full_model/baseline`: one replication of `scenarios/baseline.toml`,
//!   throughput in buyers; `full_model/baseline_100k_buyers`: the same
//!   funnel over a window long enough for about 100,000 buyers (working set).
//! * `samplers/*`: the draws the engine makes.
//! * `scaling/*`: 16 replications of the baseline on 1 and 2 threads.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use funnelsim::model::scenario::Scenario;
use funnelsim::model::scenario::overrides::Override;
use funnelsim::sim::engine::{self, Silent, simulate_replication};
use funnelsim::sim::rng::{BuyerRng, Seed, Stream, uniform};
use rand::SeedableRng;
use rand_distr::{Distribution, Exp1, Gamma, LogNormal};

fn load(name: &str) -> Scenario {
    load_with(name, &[])
}

/// `scenarios/{name}.toml` with `--set`-style overrides.
fn load_with(name: &str, set: &[&str]) -> Scenario {
    let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    let overrides: Vec<Override> = set.iter().map(|o| Override::parse(o).unwrap()).collect();
    Scenario::from_toml_str_with(&std::fs::read_to_string(path).unwrap(), &overrides).unwrap()
}

/// Buyers simulated in replication `rep` of `s` (all of them, warm-up and
/// run-off included): the throughput unit of a benchmark that simulates it.
fn buyers_per_replication(s: &Scenario, rep: u64) -> u64 {
    simulate_replication(s, rep).tally.buyers
}

/// The simplest funnel, by hand: what a journey costs with nothing else.
fn bare_journeys(n: u64, stall: &[f64; 7], mean: &[f64; 7]) -> (u64, f64) {
    let mut rng = BuyerRng::seed_from_u64(42);
    let (mut won, mut days) = (0u64, 0.0f64);
    for _ in 0..n {
        let mut t = 0.0;
        let mut alive = true;
        for s in 0..7 {
            let e: f64 = Exp1.sample(&mut rng);
            t += e * mean[s];
            // Branch-free: a stalled buyer keeps "walking" but cannot win.
            alive &= uniform(&mut rng) >= stall[s];
        }
        won += u64::from(alive);
        days += if alive { t } else { 0.0 };
    }
    (won, days)
}

fn floor(c: &mut Criterion) {
    let s = load("markov_check");
    let journeys = buyers_per_replication(&s, 0);
    let stall = [0.25, 0.15, 0.10, 0.10, 0.05, 0.05, 0.0];
    let mean = [20.0, 15.0, 15.0, 12.0, 10.0, 10.0, 7.0];
    let mut g = c.benchmark_group("floor");
    g.throughput(Throughput::Elements(journeys));
    g.bench_function("bare_loop", |b| {
        b.iter(|| black_box(bare_journeys(black_box(journeys), &stall, &mean)))
    });
    g.bench_function("engine_markov_check", |b| {
        b.iter(|| black_box(simulate_replication(&s, black_box(0))))
    });
    g.finish();
}

fn full_model(c: &mut Criterion) {
    let s = load("baseline");
    let mut g = c.benchmark_group("full_model");
    g.throughput(Throughput::Elements(buyers_per_replication(&s, 1)));
    g.bench_function("baseline", |b| {
        b.iter(|| black_box(simulate_replication(&s, black_box(1))))
    });
    // The same funnel over a 33-year window: about 100,000 buyers in one
    // replication, every one of them stored by the event-driven path. Time
    // per buyer close to the baseline's means the working set still serves
    // from cache.
    let long = load_with("baseline", &["simulation.horizon_days=11900"]);
    g.throughput(Throughput::Elements(buyers_per_replication(&long, 1)));
    g.sample_size(20);
    g.bench_function("baseline_100k_buyers", |b| {
        b.iter(|| black_box(simulate_replication(&long, black_box(1))))
    });
    g.finish();
}

fn samplers(c: &mut Criterion) {
    let mut rng = Seed(1).buyer_rng(0, Stream::Journey, 0);
    let gamma = Gamma::new(2.0, 0.5).unwrap();
    let lognormal = LogNormal::new(0.0, 0.6).unwrap();
    let mut g = c.benchmark_group("samplers");
    g.bench_function("uniform", |b| b.iter(|| black_box(uniform(&mut rng))));
    g.bench_function("exp", |b| {
        b.iter(|| black_box(<Exp1 as Distribution<f64>>::sample(&Exp1, &mut rng)))
    });
    g.bench_function("gamma_shape2", |b| b.iter(|| black_box(gamma.sample(&mut rng))));
    g.bench_function("lognormal", |b| b.iter(|| black_box(lognormal.sample(&mut rng))));
    g.bench_function("seed_buyer_stream", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            black_box(Seed(1).buyer_rng(0, Stream::Sales, i))
        })
    });
    g.finish();
}

fn scaling(c: &mut Criterion) {
    let mut s = load("baseline");
    s = s.with_replications(16).unwrap();
    let mut g = c.benchmark_group("scaling");
    g.sample_size(10);
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        g.bench_with_input(BenchmarkId::new("baseline_16_reps", threads), &threads, |b, _| {
            b.iter(|| pool.install(|| black_box(engine::run(&s, &Silent))))
        });
    }
    g.finish();
}

criterion_group!(benches, floor, full_model, samplers, scaling);
criterion_main!(benches);
