//! The company's costs, which stage history does not record. Without them a
//! calibrated scenario marks its costs unknown (`unknown = ["costs"]`), and
//! no command ranks or optimises spend, profit, ROI or cost per win. A costs
//! file is written in the scenario's own words — the same sections and keys,
//! only the cost ones — so what a user learns once holds in both places:
//!
//! ```toml
//! [marketing]
//! cost_per_touch = 2.0        # per nurture touch
//!
//! [outreach]
//! cost_per_touch = 25.0       # per sales touch
//! cost_per_rep_day = 450.0    # per rep, per day of the window
//!
//! [[channels]]                # one per lead source of the history
//! name = "web"
//! spend = { fixed_per_year = 60000.0, per_lead = 35.0 }  # no per_event: no events
//! ```

use serde::Deserialize;

use crate::model::scenario::error::{Origin, Problem, ScenarioError, closest};
use crate::model::scenario::locate;
use crate::model::scenario::spec::SpendSpec;

/// Every cost a scenario has, as a costs file gives them.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Costs {
    /// Marketing's costs.
    pub marketing: MarketingCosts,
    /// Sales' costs.
    pub outreach: OutreachCosts,
    /// What each lead source costs, by the source's name.
    #[serde(default)]
    pub channels: Vec<ChannelCosts>,
}

/// `[marketing]` in a costs file.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MarketingCosts {
    /// Cost of one nurture touch.
    pub cost_per_touch: f64,
}

/// `[outreach]` in a costs file.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OutreachCosts {
    /// Cost of one sales touch.
    pub cost_per_touch: f64,
    /// Cost of one rep for one day.
    pub cost_per_rep_day: f64,
}

/// One `[[channels]]` entry of a costs file.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChannelCosts {
    /// The lead source, as the calibrated scenario names it.
    pub name: String,
    /// What it costs (keys left out cost nothing).
    pub spend: SpendSpec,
}

impl Costs {
    /// Reads a costs file's text and checks it against the lead sources of
    /// the calibrated scenario: every cost finite and ≥ 0, every source
    /// named exactly once. Problems carry the key path and, rendered with
    /// `text`, the line.
    pub fn parse(text: &str, sources: &[String]) -> Result<Self, ScenarioError> {
        let tree = match toml::from_str::<toml::Table>(text) {
            Ok(t) => toml::Value::Table(t),
            Err(e) => {
                return Err(ScenarioError {
                    problems: vec![Problem {
                        origin: Origin::File,
                        path: String::new(),
                        message: format!("TOML syntax error: {}", e.message().trim()),
                        span: e.span(),
                    }],
                });
            }
        };
        let costs: Costs = serde_path_to_error::deserialize(tree).map_err(|e| {
            let path = e.path().to_string();
            let message = e.into_inner().message().trim().to_owned();
            let mut err = problem(if path == "." { String::new() } else { path }, message);
            locate(&mut err, text);
            err
        })?;
        let mut problems = Vec::new();
        let mut cost = |path: String, x: f64| {
            if !(x.is_finite() && x >= 0.0) {
                problems.push(problem(path, format!("must be a finite amount ≥ 0, got {x}")));
            }
        };
        cost("marketing.cost_per_touch".into(), costs.marketing.cost_per_touch);
        cost("outreach.cost_per_touch".into(), costs.outreach.cost_per_touch);
        cost(
            "outreach.cost_per_rep_day".into(),
            costs.outreach.cost_per_rep_day,
        );
        for (i, c) in costs.channels.iter().enumerate() {
            let s = &c.spend;
            cost(format!("channels[{i}].spend.fixed_per_year"), s.fixed_per_year);
            cost(format!("channels[{i}].spend.per_lead"), s.per_lead);
            cost(format!("channels[{i}].spend.per_event"), s.per_event);
        }
        for (i, c) in costs.channels.iter().enumerate() {
            if c.spend.per_event != 0.0 {
                problems.push(problem(
                    format!("channels[{i}].spend.per_event"),
                    "a calibrated source has no dated events (its leads arrive at a steady or a scheduled rate), so per-event spend would never be charged; give it as fixed_per_year or per_lead".into(),
                ));
            }
        }
        for (i, c) in costs.channels.iter().enumerate() {
            let path = format!("channels[{i}].name");
            if costs.channels[..i].iter().any(|d| d.name == c.name) {
                problems.push(problem(path, format!("'{}' is given twice", c.name)));
            } else if !sources.contains(&c.name) {
                let hint = closest(&c.name, sources.iter().map(String::as_str))
                    .first()
                    .map_or(String::new(), |n| format!("; did you mean '{n}'?"));
                problems.push(problem(
                    path,
                    format!(
                        "no lead source '{}' in the history (its sources: {}){hint}",
                        c.name,
                        sources.join(", ")
                    ),
                ));
            }
        }
        for s in sources {
            if !costs.channels.iter().any(|c| &c.name == s) {
                problems.push(problem(
                    "channels".into(),
                    format!(
                        "no costs for the lead source '{s}': add [[channels]] name = \"{s}\" with its spend (spend = {{}} if it costs nothing)"
                    ),
                ));
            }
        }
        if problems.is_empty() {
            return Ok(costs);
        }
        let mut err = ScenarioError {
            problems: problems.into_iter().flat_map(|e| e.problems).collect(),
        };
        locate(&mut err, text);
        Err(err)
    }

    /// What the lead source `name` costs (nothing if the file does not say;
    /// [`Costs::parse`] makes sure it says for every source).
    pub fn spend_of(&self, name: &str) -> SpendSpec {
        self.channels
            .iter()
            .find(|c| c.name == name)
            .map_or_else(SpendSpec::default, |c| c.spend.clone())
    }
}

fn problem(path: String, message: String) -> ScenarioError {
    ScenarioError {
        problems: vec![Problem {
            origin: Origin::File,
            path,
            message,
            span: None,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources() -> Vec<String> {
        vec!["web".into(), "shows".into()]
    }

    const GOOD: &str = r#"
[marketing]
cost_per_touch = 2.0
[outreach]
cost_per_touch = 25.0
cost_per_rep_day = 450.0
[[channels]]
name = "web"
spend = { per_lead = 35.0 }
[[channels]]
name = "shows"
spend = { fixed_per_year = 20000.0 }
"#;

    #[test]
    fn a_complete_file_reads() {
        let c = Costs::parse(GOOD, &sources()).unwrap();
        assert_eq!(c.outreach.cost_per_rep_day, 450.0);
        assert_eq!(c.spend_of("web").per_lead, 35.0);
        assert_eq!(c.spend_of("shows").fixed_per_year, 20000.0);
    }

    #[test]
    fn problems_name_the_key_and_the_line() {
        let text = GOOD
            .replace("cost_per_rep_day = 450.0", "cost_per_rep_day = -1.0")
            .replace("name = \"shows\"", "name = \"show\"");
        let e = Costs::parse(&text, &sources()).unwrap_err();
        let shown = e.render("costs.toml", &text, |_| None);
        assert!(
            shown.contains("costs.toml:6") && shown.contains("outreach.cost_per_rep_day"),
            "{shown}"
        );
        assert!(shown.contains("did you mean 'shows'"), "{shown}");
        assert!(shown.contains("no costs for the lead source 'shows'"), "{shown}");
    }

    #[test]
    fn per_event_spend_is_refused_for_sources_without_events() {
        let text = GOOD.replace("fixed_per_year = 20000.0", "per_event = 20000.0");
        let e = Costs::parse(&text, &sources()).unwrap_err();
        let shown = e.render("costs.toml", &text, |_| None);
        assert!(
            shown.contains("channels[1].spend.per_event") && shown.contains("no dated events"),
            "{shown}"
        );
    }

    #[test]
    fn a_key_that_is_not_a_cost_is_refused() {
        let text = GOOD.replace("[outreach]", "[outreach]\nreps = 4");
        let e = Costs::parse(&text, &sources()).unwrap_err();
        let shown = e.render("costs.toml", &text, |_| None);
        assert!(shown.contains("unknown field `reps`"), "{shown}");
    }
}
