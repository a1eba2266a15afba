//! Statistics across replications.
//!
//! Every figure funnelsim reports is an [`Estimate`]: the mean over
//! replications, its standard deviation, the 5th/50th/95th percentiles of the
//! per-replication values (linear interpolation between order statistics,
//! Hyndman & Fan type 7) and a 95% confidence interval of the mean,
//! `mean ± t(0.975, n−1) · sd / √n` (Student's t).
//!
//! Values that are undefined in a replication (say, cost per win when nothing
//! was won) are `NaN` in that replication's row and are left out of the
//! estimate; `n` says how many replications it rests on. An estimate over
//! fewer than two replications has no spread and no interval: those fields are
//! `None` rather than a fake zero.

use serde::Serialize;

/// Confidence level of every interval funnelsim reports.
pub const CONFIDENCE: f64 = 0.95;

/// A summary of one metric across replications.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// Mean over the replications where the metric is defined.
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1 denominator).
    pub sd: Option<f64>,
    /// 5th percentile of the per-replication values.
    pub p05: Option<f64>,
    /// Median of the per-replication values.
    pub p50: Option<f64>,
    /// 95th percentile of the per-replication values.
    pub p95: Option<f64>,
    /// Lower end of the 95% confidence interval of the mean.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% confidence interval of the mean.
    pub ci_high: Option<f64>,
    /// Number of replications in which the metric was defined.
    pub n: u64,
}

impl Estimate {
    /// Summarises `values`, ignoring non-finite entries (undefined metrics).
    pub fn from_values(values: &[f64]) -> Self {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        let n = v.len();
        if n == 0 {
            return Self::undefined();
        }
        v.sort_by(f64::total_cmp);
        // Serial, ordered sums: the result does not depend on threads.
        let mean = v.iter().sum::<f64>() / n as f64;
        let (sd, ci) = if n >= 2 {
            let ss: f64 = v.iter().map(|x| (x - mean) * (x - mean)).sum();
            let sd = (ss / (n - 1) as f64).sqrt();
            let half = student_t_quantile(0.5 + CONFIDENCE / 2.0, (n - 1) as f64) * sd / (n as f64).sqrt();
            (Some(sd), Some((mean - half, mean + half)))
        } else {
            (None, None)
        };
        Self {
            mean: Some(mean),
            sd,
            p05: Some(percentile_sorted(&v, 0.05)),
            p50: Some(percentile_sorted(&v, 0.50)),
            p95: Some(percentile_sorted(&v, 0.95)),
            ci_low: ci.map(|c| c.0),
            ci_high: ci.map(|c| c.1),
            n: n as u64,
        }
    }

    /// An estimate with no data behind it.
    pub fn undefined() -> Self {
        Self {
            mean: None,
            sd: None,
            p05: None,
            p50: None,
            p95: None,
            ci_low: None,
            ci_high: None,
            n: 0,
        }
    }

    /// Standard error of the mean, when defined.
    pub fn std_error(&self) -> Option<f64> {
        Some(self.sd? / (self.n as f64).sqrt())
    }
}

/// The paired difference `candidate − baseline`, replication by replication,
/// over replications where both are defined. With common random numbers the
/// pairs share their randomness, so this is far tighter than comparing two
/// independent means.
pub fn paired_difference(baseline: &[f64], candidate: &[f64]) -> Estimate {
    let d: Vec<f64> = baseline
        .iter()
        .zip(candidate)
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| b - a)
        .collect();
    Estimate::from_values(&d)
}

/// Half-width of the 95% interval of `b − a` if the two estimates were
/// independent (Welch–Satterthwaite degrees of freedom): what pairing is
/// measured against.
pub fn unpaired_half_width(a: &Estimate, b: &Estimate) -> Option<f64> {
    let (sa, sb) = (a.std_error()?, b.std_error()?);
    let (va, vb) = (sa * sa, sb * sb);
    let denom = va * va / (a.n as f64 - 1.0) + vb * vb / (b.n as f64 - 1.0);
    let df = if denom > 0.0 {
        (va + vb).powi(2) / denom
    } else {
        (a.n + b.n - 2) as f64
    };
    Some(student_t_quantile(0.5 + CONFIDENCE / 2.0, df.max(1.0)) * (va + vb).sqrt())
}

/// The `q`-quantile of sorted data, linear interpolation (type 7).
///
/// # Panics
/// If `sorted` is empty.
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    assert!(!sorted.is_empty(), "percentile of an empty sample");
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Standard normal quantile (Acklam's rational approximation; relative error
/// below 1.2e-9 on (0, 1), far below any Monte Carlo error it scales).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p_low = 0.02425;
    if p < p_low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - p_low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

/// Quantile of Student's t distribution with `df` degrees of freedom.
///
/// Exact for 1 and 2 degrees of freedom; otherwise the Cornish–Fisher
/// expansion of Abramowitz & Stegun 26.7.5 (error below 1e-3 for df ≥ 3 at
/// the 97.5% point, far below the Monte Carlo error it scales).
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    if df <= 1.0 {
        return (std::f64::consts::PI * (p - 0.5)).tan();
    }
    if df <= 2.0 {
        let a = 4.0 * p * (1.0 - p);
        return (2.0 * p - 1.0) * (2.0 / a).sqrt();
    }
    let z = normal_quantile(p);
    let z2 = z * z;
    let g1 = (z2 + 1.0) * z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    z + g1 / df + g2 / (df * df) + g3 / df.powi(3) + g4 / df.powi(4)
}

/// Replications up to which [`Summary`] keeps every value, so that
/// estimates are exact (the same as [`Estimate::from_values`]); beyond it,
/// memory stays constant and percentiles come from P² sketches.
pub const EXACT_UP_TO: usize = 1_000;

/// An [`Estimate`] built one replication at a time in bounded memory.
///
/// Up to [`EXACT_UP_TO`] defined values it keeps them and the result is
/// exactly [`Estimate::from_values`]. Past that it drops them: the mean is
/// the running sum over the count, the standard deviation comes from
/// Welford's update, and the 5th/50th/95th percentiles from P² sketches
/// (approximate; see [`P2Quantile`]). Deterministic for a given input order.
#[derive(Clone, Debug)]
pub struct Summary {
    values: Vec<f64>,
    n: u64,
    sum: f64,
    mean: f64,
    m2: f64,
    quantiles: [P2Quantile; 3],
}

impl Default for Summary {
    fn default() -> Self {
        Self::new()
    }
}

impl Summary {
    /// An empty summary.
    pub fn new() -> Self {
        Self {
            values: Vec::new(),
            n: 0,
            sum: 0.0,
            mean: 0.0,
            m2: 0.0,
            quantiles: [P2Quantile::new(0.05), P2Quantile::new(0.5), P2Quantile::new(0.95)],
        }
    }

    /// Adds one replication's value; non-finite values (undefined metrics)
    /// are left out, as in [`Estimate::from_values`].
    pub fn push(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.n += 1;
        self.sum += x;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
        for q in &mut self.quantiles {
            q.push(x);
        }
        if self.n as usize <= EXACT_UP_TO {
            self.values.push(x);
        } else if !self.values.is_empty() {
            self.values = Vec::new();
        }
    }

    /// The estimate so far.
    pub fn estimate(&self) -> Estimate {
        if self.n as usize <= EXACT_UP_TO {
            return Estimate::from_values(&self.values);
        }
        let n = self.n as f64;
        let mean = self.sum / n;
        let sd = (self.m2 / (n - 1.0)).max(0.0).sqrt();
        let half = student_t_quantile(0.5 + CONFIDENCE / 2.0, n - 1.0) * sd / n.sqrt();
        let [p05, p50, p95] = self.quantiles.each_ref().map(P2Quantile::value);
        Estimate {
            mean: Some(mean),
            sd: Some(sd),
            p05,
            p50,
            p95,
            ci_low: Some(mean - half),
            ci_high: Some(mean + half),
            n: self.n,
        }
    }
}

/// Streaming estimate of one quantile with the P² algorithm (Jain & Chlamtac,
/// CACM 1985): five markers, constant memory, deterministic for a given input
/// order. Used for the pipeline bands, where storing every replication's
/// snapshot matrix would make memory grow with the replication count.
#[derive(Clone, Debug)]
pub struct P2Quantile {
    p: f64,
    count: usize,
    q: [f64; 5],
    n: [f64; 5],
    np: [f64; 5],
    dn: [f64; 5],
}

impl P2Quantile {
    /// A new estimator of the `p`-quantile, `p` in (0, 1).
    pub fn new(p: f64) -> Self {
        Self {
            p,
            count: 0,
            q: [0.0; 5],
            n: [0.0, 1.0, 2.0, 3.0, 4.0],
            np: [0.0, 2.0 * p, 4.0 * p, 2.0 + 2.0 * p, 4.0],
            dn: [0.0, p / 2.0, p, (1.0 + p) / 2.0, 1.0],
        }
    }

    /// Adds an observation.
    pub fn push(&mut self, x: f64) {
        if self.count < 5 {
            self.q[self.count] = x;
            self.count += 1;
            if self.count == 5 {
                self.q.sort_by(f64::total_cmp);
            }
            return;
        }
        self.count += 1;
        let k = if x < self.q[0] {
            self.q[0] = x;
            0
        } else if x >= self.q[4] {
            self.q[4] = x;
            3
        } else {
            (1..5).find(|&i| x < self.q[i]).map_or(3, |i| i - 1)
        };
        for i in k + 1..5 {
            self.n[i] += 1.0;
        }
        for i in 0..5 {
            self.np[i] += self.dn[i];
        }
        for i in 1..4 {
            let d = self.np[i] - self.n[i];
            if (d >= 1.0 && self.n[i + 1] - self.n[i] > 1.0)
                || (d <= -1.0 && self.n[i - 1] - self.n[i] < -1.0)
            {
                let s = d.signum();
                let qp = self.parabolic(i, s);
                self.q[i] = if self.q[i - 1] < qp && qp < self.q[i + 1] {
                    qp
                } else {
                    let j = if s > 0.0 { i + 1 } else { i - 1 };
                    self.q[i] + s * (self.q[j] - self.q[i]) / (self.n[j] - self.n[i])
                };
                self.n[i] += s;
            }
        }
    }

    fn parabolic(&self, i: usize, s: f64) -> f64 {
        let (q, n) = (&self.q, &self.n);
        q[i] + s / (n[i + 1] - n[i - 1])
            * ((n[i] - n[i - 1] + s) * (q[i + 1] - q[i]) / (n[i + 1] - n[i])
                + (n[i + 1] - n[i] - s) * (q[i] - q[i - 1]) / (n[i] - n[i - 1]))
    }

    /// The current estimate (exact while fewer than six values were seen).
    pub fn value(&self) -> Option<f64> {
        match self.count {
            0 => None,
            c if c <= 5 => {
                let mut v = self.q[..c].to_vec();
                v.sort_by(f64::total_cmp);
                Some(percentile_sorted(&v, self.p))
            }
            _ => Some(self.q[2]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantile_matches_tables() {
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-8);
        assert!((normal_quantile(0.5)).abs() < 1e-12);
        assert!((normal_quantile(0.001) + 3.090_232_306_167_813).abs() < 1e-8);
    }

    #[test]
    fn t_quantile_matches_tables() {
        // Reference values from standard t tables (97.5% point).
        for (df, t) in [
            (1.0, 12.706),
            (2.0, 4.303),
            (5.0, 2.571),
            (10.0, 2.228),
            (30.0, 2.042),
        ] {
            assert!((student_t_quantile(0.975, df) - t).abs() < 2e-3, "df {df}");
        }
    }

    #[test]
    fn estimate_of_known_sample() {
        let e = Estimate::from_values(&[1.0, 2.0, 3.0, 4.0, f64::NAN]);
        assert_eq!(e.n, 4);
        assert_eq!(e.mean, Some(2.5));
        assert!((e.sd.unwrap() - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(e.p50, Some(2.5));
        let single = Estimate::from_values(&[3.0]);
        assert_eq!(single.sd, None);
        assert_eq!(single.ci_low, None);
        assert_eq!(Estimate::from_values(&[]).mean, None);
    }

    #[test]
    fn pairing_a_run_with_itself_is_exactly_zero() {
        let x = [1.0, 5.0, 2.5, f64::NAN, 4.0];
        let d = paired_difference(&x, &x);
        assert_eq!(
            (d.mean, d.ci_low, d.ci_high, d.n),
            (Some(0.0), Some(0.0), Some(0.0), 4)
        );
    }

    #[test]
    fn p2_tracks_the_median_of_a_uniform_sample() {
        let mut p = P2Quantile::new(0.5);
        let mut x = 0.5f64;
        for _ in 0..10_000 {
            // A deterministic low-discrepancy sequence on [0, 1).
            x = (x + 0.618_033_988_749_895) % 1.0;
            p.push(x);
        }
        assert!((p.value().unwrap() - 0.5).abs() < 0.01);
    }

    #[test]
    fn summary_is_exact_then_streams() {
        let values: Vec<f64> = (0..EXACT_UP_TO as u64 + 500)
            .map(|i| ((i * 7919) % 1000) as f64)
            .collect();
        let mut s = Summary::new();
        for (i, &v) in values.iter().enumerate() {
            s.push(v);
            if i == 10 {
                assert_eq!(s.estimate(), Estimate::from_values(&values[..=10]));
                s.push(f64::NAN);
            }
        }
        let exact = Estimate::from_values(&values);
        let streamed = s.estimate();
        assert_eq!(streamed.n, exact.n);
        assert!((streamed.mean.unwrap() - exact.mean.unwrap()).abs() < 1e-9);
        assert!((streamed.sd.unwrap() - exact.sd.unwrap()).abs() < 1e-9);
        // P² on a uniform-ish sequence: within a percent of the range.
        for (a, b) in [
            (streamed.p05, exact.p05),
            (streamed.p50, exact.p50),
            (streamed.p95, exact.p95),
        ] {
            assert!((a.unwrap() - b.unwrap()).abs() < 10.0, "{a:?} vs {b:?}");
        }
    }
}
