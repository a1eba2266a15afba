//! The sanity anchor: when outreach has no effect, the buyer journey is an
//! absorbing Markov chain whose answers have a closed form.
//!
//! For transient states with one-step transition matrix `Q`, absorption matrix
//! `R` and mean holding times `m`, the fundamental matrix `N = (I − Q)⁻¹`
//! gives the absorption probabilities `B = N R` and the expected time spent
//! before absorbing in state `j`, `E[T · 1{absorb in j}] = N diag(m) B[·, j]`
//! (each visit to `k` lasts `m_k` on average, independently of where the chain
//! ends after it). See Kemeny & Snell, *Finite Markov Chains* (1960), ch. 3.

use crate::model::channel::Arrivals;
use crate::model::scenario::Scenario;

/// A dense matrix, row-major.
pub type Matrix = Vec<Vec<f64>>;

/// An absorbing Markov chain with mean holding times.
#[derive(Clone, Debug)]
pub struct AbsorbingChain {
    /// Transient-to-transient transition probabilities.
    pub q: Vec<Vec<f64>>,
    /// Transient-to-absorbing transition probabilities.
    pub r: Vec<Vec<f64>>,
    /// Mean holding time in each transient state.
    pub holding: Vec<f64>,
}

impl AbsorbingChain {
    /// The fundamental matrix `(I − Q)⁻¹`, by Gauss–Jordan elimination with
    /// partial pivoting. `None` if `I − Q` is singular (no absorption).
    pub fn fundamental(&self) -> Option<Vec<Vec<f64>>> {
        let n = self.q.len();
        let mut a: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                let mut row: Vec<f64> = (0..n)
                    .map(|j| f64::from(u8::from(i == j)) - self.q[i][j])
                    .collect();
                row.extend((0..n).map(|j| f64::from(u8::from(i == j))));
                row
            })
            .collect();
        for col in 0..n {
            let pivot = (col..n).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
            if a[pivot][col].abs() < 1e-300 {
                return None;
            }
            a.swap(col, pivot);
            let p = a[col][col];
            a[col].iter_mut().for_each(|v| *v /= p);
            for row in 0..n {
                if row != col {
                    let f = a[row][col];
                    if f != 0.0 {
                        let pivot_row = a[col].clone();
                        for (x, p) in a[row].iter_mut().zip(&pivot_row) {
                            *x -= f * p;
                        }
                    }
                }
            }
        }
        Some(a.into_iter().map(|row| row[n..].to_vec()).collect())
    }

    /// Absorption probabilities `B = N R` and `E[T · 1{absorb in j}]`, per
    /// starting state.
    pub fn solve(&self) -> Option<(Matrix, Matrix)> {
        let nmat = self.fundamental()?;
        let n = self.q.len();
        let k = self.r.first().map_or(0, Vec::len);
        let b: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                (0..k)
                    .map(|j| (0..n).map(|l| nmat[i][l] * self.r[l][j]).sum())
                    .collect()
            })
            .collect();
        let t: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                (0..k)
                    .map(|j| (0..n).map(|l| nmat[i][l] * self.holding[l] * b[l][j]).sum())
                    .collect()
            })
            .collect();
        Some((b, t))
    }
}

/// Closed-form answers for a scenario that reduces to a Markov chain.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClosedForm {
    /// Probability a captured lead is won.
    pub win_probability: f64,
    /// Probability a captured lead is lost to a competitor.
    pub lost_probability: f64,
    /// Probability a captured lead ends in no decision.
    pub no_decision_probability: f64,
    /// Expected days from capture to won, given won.
    pub mean_days_to_win: f64,
}

/// Why a scenario does not reduce to an absorbing Markov chain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("scenario is not a pure Markov chain: {0}")]
pub struct NotMarkov(pub &'static str);

/// The closed form of `s`, if outreach and nurture cannot change any buyer's
/// journey or choice.
///
/// Dwell distributions need not be exponential: absorption probabilities and
/// mean times depend only on the means. (`markov_check.toml` uses exponential
/// dwell, i.e. constant hazards, as the textbook chain does.)
///
/// # Errors
/// [`NotMarkov`] naming the first setting that couples the journey to policy.
pub fn closed_form(s: &Scenario) -> Result<ClosedForm, NotMarkov> {
    let d = &s.decision;
    if d.trust_weight != 0.0
        || d.alignment_weight != 0.0
        || d.contact_weight != 0.0
        || d.resistance_weight != 0.0
        || d.risk_weight != 0.0
    {
        return Err(NotMarkov(
            "decision weights on trust, alignment, contact, resistance or risk are not zero",
        ));
    }
    // Who is on the buyer's list must not depend on sales or nurture: either
    // nobody is ever engaged or trusted (no reps, no nurture), or we are on
    // every list anyway and framing carries no edge.
    let engagement_matters = d.reach_out_base < 1.0 || d.framing_edge != 0.0;
    if engagement_matters && (s.outreach.reps > 0 || s.marketing.nurture) {
        return Err(NotMarkov(
            "sales or nurture can change whether we are on the buyer's list or framed its requirements",
        ));
    }
    if s.marketing.dwell_speedup != 0.0 {
        return Err(NotMarkov("marketing.dwell_speedup is not zero"));
    }
    let r = &s.response;
    if r.go_dark_base != 0.0 || r.go_dark_per_resistance != 0.0 || r.advance_on_welcome != 0.0 {
        return Err(NotMarkov("sales touches can make buyers go dark or advance"));
    }
    if s.channels.iter().any(|c| c.fit < 1.0) {
        return Err(NotMarkov("some channel has fit below 1"));
    }
    let p_choice = d.probabilities(Default::default());
    let n = s.stages.len();
    let window = s.window();

    // Expected cohort leads per (segment, stage at capture).
    let mut weight = vec![vec![0.0; n]; s.segments.len()];
    for c in &s.channels {
        let leads = match &c.arrivals {
            Arrivals::Poisson { leads_per_day } => leads_per_day * s.horizon_days,
            Arrivals::Bursts(bursts) => bursts
                .iter()
                .map(|b| {
                    // Expected share of the burst's leads captured in the window.
                    let lo = b.day.max(window.start_day);
                    let hi = (b.day + b.duration_days).min(window.end_day);
                    b.mean_leads * ((hi - lo).max(0.0) / b.duration_days)
                })
                .sum(),
        };
        let seg_pmf = c.segment_mix.probabilities();
        let stage_pmf = c.stage_mix.probabilities();
        for (g, ps) in seg_pmf.iter().enumerate() {
            for (st, pst) in stage_pmf.iter().enumerate() {
                weight[g][st] += leads * ps * pst;
            }
        }
    }
    let total: f64 = weight.iter().flatten().sum();
    if total <= 0.0 {
        return Err(NotMarkov("no leads are expected in the window"));
    }

    let (mut win, mut lost, mut none, mut win_time) = (0.0, 0.0, 0.0, 0.0);
    for (g, seg) in s.segments.iter().enumerate() {
        // Absorbing states: 0 won, 1 lost to competitor, 2 no decision.
        let mut q = vec![vec![0.0; n]; n];
        let mut rr = vec![vec![0.0; 3]; n];
        for (i, st) in s.stages.iter().enumerate() {
            let go = 1.0 - st.stall_probability;
            rr[i][2] += st.stall_probability;
            if i + 1 < n {
                q[i][i + 1] = go;
            } else {
                for j in 0..3 {
                    rr[i][j] += go * p_choice[j];
                }
            }
        }
        let holding = s.stages.iter().map(|st| st.mean_days * seg.pace).collect();
        let chain = AbsorbingChain { q, r: rr, holding };
        let (b, t) = chain.solve().ok_or(NotMarkov("the chain does not absorb"))?;
        for st in 0..n {
            let w = weight[g][st] / total;
            win += w * b[st][0];
            lost += w * b[st][1];
            none += w * b[st][2];
            win_time += w * t[st][0];
        }
    }
    Ok(ClosedForm {
        win_probability: win,
        lost_probability: lost,
        no_decision_probability: none,
        mean_days_to_win: win_time / win,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_state_chain_by_hand() {
        // 0 → 1 w.p. 0.5, 0 → absorb(a) w.p. 0.5; 1 → absorb(b) w.p. 1.
        let c = AbsorbingChain {
            q: vec![vec![0.0, 0.5], vec![0.0, 0.0]],
            r: vec![vec![0.5, 0.0], vec![0.0, 1.0]],
            holding: vec![2.0, 3.0],
        };
        let (b, t) = c.solve().unwrap();
        assert!((b[0][0] - 0.5).abs() < 1e-12 && (b[0][1] - 0.5).abs() < 1e-12);
        // E[T 1{b}] from 0 = 0.5 * (2 + 3) = 2.5.
        assert!((t[0][1] - 2.5).abs() < 1e-12);
    }
}
