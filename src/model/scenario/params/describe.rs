//! The spec's structure, struct by struct: the keys of each section in
//! declaration order, and the variants of each tagged section with their
//! keys. The macros destructure every struct and variant without `..`, so a
//! new parameter that is not listed here does not compile; the tests below
//! check the lists against what serde reads and writes.

use std::collections::BTreeMap;

use toml::Value;

use super::node::{Node, Open, ReadError, Table, Tagged, assign};
use super::sections::Parts;
use crate::model::scenario::spec::*;

/// A section: the struct's keys in declaration order. `key if written`
/// marks a key that is left out when `written(&value)` is false.
macro_rules! table {
    ($ty:ident { $($key:ident $(if $written:path)?),* $(,)? }) => {
        impl Node for $ty {
            fn open(&mut self) -> Open<'_> {
                Open::Table(self)
            }
            fn assign(&mut self, value: &Value) -> Result<(), ReadError> {
                assign(self, value)
            }
        }

        impl Table for $ty {
            fn keys(&mut self) -> Vec<&str> {
                let $ty { $($key),* } = self;
                let mut keys = Vec::new();
                $(if $key.present() $(&& $written($key))? {
                    keys.push(stringify!($key));
                })*
                keys
            }
            fn declared(&self) -> Option<&'static [&'static str]> {
                Some(&[$(stringify!($key)),*])
            }
            fn child(&mut self, key: &str) -> Option<&mut dyn Node> {
                let $ty { $($key),* } = self;
                match key {
                    $(stringify!($key) => Some($key as &mut dyn Node),)*
                    _ => None,
                }
            }
            fn add(&mut self, _: &str, _: &Value) -> Option<Result<(), ReadError>> {
                None
            }
            #[cfg(test)]
            fn serde_keys(&self) -> Option<&'static [&'static str]> {
                Some(tests::serde_keys::<$ty>())
            }
        }
    };
}

/// The default of a variant's key, if it has one.
macro_rules! default_of {
    () => {
        None
    };
    ($default:expr) => {
        Some($default)
    };
}

/// A tagged section: each variant with its name and keys (`key = default`
/// for a key the variant may leave out).
macro_rules! tagged {
    ($ty:ident in $section:literal {
        $($variant:ident $name:literal { $($key:ident $(= $default:expr)?),* }),* $(,)?
    }) => {
        impl Node for $ty {
            fn open(&mut self) -> Open<'_> {
                Open::Tagged(self)
            }
            fn assign(&mut self, value: &Value) -> Result<(), ReadError> {
                assign(self, value)
            }
        }

        impl Tagged for $ty {
            fn section(&self) -> &'static TaggedSection {
                section($section)
            }
            fn variant(&self) -> &'static str {
                match self {
                    $($ty::$variant { .. } => $name,)*
                }
            }
            fn field(&mut self, key: &str) -> Option<&mut dyn Node> {
                match self {
                    $($ty::$variant { $($key),* } => match key {
                        $(stringify!($key) => Some($key as &mut dyn Node),)*
                        _ => None,
                    },)*
                }
            }
            fn rebuild(&mut self, variant: &str, parts: &mut Parts<'_>) -> bool {
                let new = match variant {
                    $($name => $ty::$variant {
                        $($key: parts.take(self, stringify!($key), default_of!($($default)?)),)*
                    },)*
                    _ => return false,
                };
                *self = new;
                true
            }
        }
    };
}

/// The tagged section whose key is `name`.
fn section(name: &str) -> &'static TaggedSection {
    TAGGED_SECTIONS
        .iter()
        .find(|s| s.section == name)
        .expect("every tagged spec type has a TAGGED_SECTIONS entry")
}

/// Whether a list is written out (an empty one is left out).
fn non_empty_list<T>(list: &[T]) -> bool {
    !list.is_empty()
}

/// Whether a map is written out (an empty one is left out).
fn non_empty<V>(map: &BTreeMap<String, V>) -> bool {
    !map.is_empty()
}

table!(ScenarioSpec {
    name,
    description,
    simulation,
    stages,
    segments,
    channels,
    marketing,
    handoff,
    outreach,
    response,
    decision,
    unknown if non_empty_list,
});

table!(SimulationSpec {
    seed,
    replications,
    warmup_days,
    horizon_days,
    runoff_days,
    snapshot_every_days,
});

table!(StageSpec {
    name,
    dwell,
    stall_probability,
    receptivity,
});

table!(ValuesSpec {
    solves_problem,
    educates,
    applies_knowledge,
    forthright,
    minimises_risk,
});

table!(SegmentSpec {
    name,
    pace,
    deal_value,
    values,
});

table!(BurstSpec {
    day,
    mean_leads,
    duration_days,
});

table!(SpendSpec {
    fixed_per_year,
    per_lead,
    per_event,
});

table!(ChannelSpec {
    name,
    kind,
    arrivals,
    spend,
    fit,
    stage_mix,
    segment_mix,
    hand_raisers,
});

table!(MarketingSpec {
    touch_every_days,
    nurture,
    content,
    cost_per_touch,
    trust_gain,
    dwell_speedup,
    score_noise_sd,
    recycle_hold_days,
});

table!(OutreachSpec {
    approach,
    approach_by_segment if non_empty,
    scores,
    pushiness,
    reps,
    touches_per_rep_per_day,
    unlimited_capacity,
    first_response_days,
    touch_spacing_days,
    follow_up_every_days,
    reach_probability,
    max_unanswered_touches,
    hand_raiser_cooling_hours,
    hand_raiser_stale_interest,
    cost_per_touch,
    cost_per_rep_day,
});

table!(ResponseSpec {
    alignment_weight,
    trust_gain,
    resistance_gain,
    go_dark_base,
    go_dark_per_resistance,
    advance_on_welcome,
});

table!(DecisionSpec {
    reach_out_base,
    reach_out_per_trust,
    framing_stage,
    framing_edge,
    base_us,
    trust_weight,
    alignment_weight,
    contact_weight,
    resistance_weight,
    base_competitor,
    base_no_decision,
    risk_weight,
});

tagged!(DwellSpec in "dwell" {
    Exponential "exponential" { mean_days },
    Gamma "gamma" { mean_days, shape },
    Lognormal "lognormal" { mean_days, sigma },
});

tagged!(DealValueSpec in "deal_value" {
    Fixed "fixed" { value },
    Lognormal "lognormal" { median, sigma },
});

tagged!(ArrivalsSpec in "arrivals" {
    Poisson "poisson" { leads_per_day },
    Bursts "bursts" { events, repeat_every_days = None },
    Schedule "schedule" { period_days, leads_per_day },
    Dates "dates" { days },
});

tagged!(HandoffSpec in "handoff" {
    Immediate "immediate" {},
    ScoreThreshold "score_threshold" { threshold },
    StageGate "stage_gate" { stage },
    BuyerInitiated "buyer_initiated" { propensity = half() },
    Delay "delay" { days },
});

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde::de::{self, DeserializeOwned, Visitor};

    use super::*;
    use crate::model::scenario::overrides::{Override, apply};
    use crate::model::scenario::parse_spec;

    /// A deserializer that only records the keys serde asks a struct for.
    struct Probe<'a>(&'a mut &'static [&'static str]);

    impl<'de> de::Deserializer<'de> for Probe<'_> {
        type Error = de::value::Error;
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("probed"))
        }
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
            enum identifier ignored_any
        }
    }

    /// The keys serde reads for `T`, in its order.
    pub(super) fn serde_keys<T: DeserializeOwned>() -> &'static [&'static str] {
        let mut fields: &'static [&'static str] = &[];
        let _ = T::deserialize(Probe(&mut fields));
        fields
    }

    /// A scenario with a value for every optional key and every variant of
    /// the tagged sections but `[handoff]`, which is `handoff`.
    fn full(handoff: &str) -> ScenarioSpec {
        parse_spec(&format!(
            r#"
name = "full"
description = "every key"
unknown = ["costs"]
[simulation]
seed = 3
[[stages]]
name = "a"
dwell = {{ distribution = "exponential", mean_days = 5 }}
receptivity = 0.2
[[stages]]
name = "b"
dwell = {{ distribution = "gamma", mean_days = 5, shape = 2 }}
receptivity = 0.5
[[stages]]
name = "c"
dwell = {{ distribution = "lognormal", mean_days = 5, sigma = 0.5 }}
receptivity = 0.9
[[segments]]
name = "s"
deal_value = {{ distribution = "fixed", value = 10 }}
values = {{ solves_problem = 1, educates = 1, applies_knowledge = 1, forthright = 1, minimises_risk = 1 }}
[[segments]]
name = "t"
deal_value = {{ distribution = "lognormal", median = 10, sigma = 0.5 }}
values = {{ solves_problem = 1, educates = 1, applies_knowledge = 1, forthright = 1, minimises_risk = 1 }}
[[channels]]
name = "web"
kind = "inbound_content"
arrivals = {{ process = "poisson", leads_per_day = 1 }}
fit = 0.5
stage_mix = {{ a = 1.0 }}
segment_mix = {{ s = 1.0 }}
hand_raisers = true
[[channels]]
name = "show"
kind = "trade_show"
arrivals = {{ process = "bursts", events = [{{ day = 1, mean_leads = 2 }}], repeat_every_days = 365 }}
fit = 0.5
stage_mix = {{ a = 1.0 }}
segment_mix = {{ s = 1.0 }}
hand_raisers = false
[[channels]]
name = "campaign"
kind = "direct_mail"
arrivals = {{ process = "schedule", period_days = 30, leads_per_day = [1, 0, 2] }}
fit = 0.5
stage_mix = {{ a = 1.0 }}
segment_mix = {{ s = 1.0 }}
hand_raisers = false
[[channels]]
name = "replay"
kind = "media"
arrivals = {{ process = "dates", days = [1, 2.5] }}
fit = 0.5
stage_mix = {{ a = 1.0 }}
segment_mix = {{ s = 1.0 }}
hand_raisers = false
[handoff]
{handoff}
[outreach]
approach_by_segment = {{ s = "insight_led" }}
scores = {{ solves_problem = 1, educates = 1, applies_knowledge = 1, forthright = 1, minimises_risk = 1 }}
pushiness = 0.5
[decision]
framing_stage = "b"
"#
        ))
        .unwrap()
    }

    /// Walks the description and the serialised spec side by side: the
    /// same keys everywhere, each section's keys those serde reads, and —
    /// for a spec with every optional key — every key written out.
    fn compare(node: &mut dyn Node, tree: &Value, at: &str, full: bool, seen: &mut BTreeSet<String>) {
        let join = |k: &str| {
            if at.is_empty() {
                k.to_owned()
            } else {
                format!("{at}.{k}")
            }
        };
        let sorted = |keys: Vec<&str>| {
            let mut k: Vec<String> = keys.into_iter().map(str::to_owned).collect();
            k.sort();
            k
        };
        match (node.open(), tree) {
            (Open::Table(t), Value::Table(v)) => {
                let want: Vec<String> = v.keys().cloned().collect();
                assert_eq!(sorted(t.keys()), want, "the keys of {at}");
                assert_eq!(
                    t.declared(),
                    t.serde_keys(),
                    "{at}: the keys serde reads, in order"
                );
                if full && let Some(declared) = t.declared() {
                    assert_eq!(
                        sorted(declared.to_vec()),
                        want,
                        "{at}: give the fixture every key"
                    );
                }
                for k in want {
                    compare(t.child(&k).unwrap(), &v[&k], &join(&k), full, seen);
                }
            }
            (Open::Tagged(t), Value::Table(v)) => {
                let want: Vec<String> = v.keys().cloned().collect();
                assert_eq!(sorted(t.keys()), want, "the keys of {at}");
                let tag = t.section().tag;
                assert_eq!(v[tag].as_str(), Some(t.variant()), "the variant of {at}");
                seen.insert(format!("{} {}", t.section().section, t.variant()));
                for k in want.iter().filter(|k| *k != tag) {
                    compare(t.field(k).unwrap(), &v[k], &join(k), full, seen);
                }
            }
            (Open::List(l), Value::Array(a)) => {
                assert_eq!(l.len(), a.len(), "the entries of {at}");
                for (i, x) in a.iter().enumerate() {
                    compare(l.entry(i), x, &format!("{at}[{i}]"), full, seen);
                }
            }
            (Open::Leaf(n), v) => {
                let number = matches!(v, Value::Integer(_) | Value::Float(_));
                assert_eq!(
                    n.is_some(),
                    number,
                    "{at} is a number exactly when serde writes one"
                );
            }
            _ => panic!("{at}: the description and the serialised spec disagree"),
        }
    }

    #[test]
    fn the_description_has_every_key_serde_reads_and_writes() {
        let mut seen = BTreeSet::new();
        let handoffs = [
            r#"policy = "immediate""#,
            "policy = \"score_threshold\"\nthreshold = 50",
            "policy = \"stage_gate\"\nstage = \"b\"",
            "policy = \"buyer_initiated\"\npropensity = 0.4",
            "policy = \"delay\"\ndays = 2",
        ];
        for h in handoffs {
            let mut spec = full(h);
            let tree = Value::try_from(&spec).unwrap();
            compare(&mut spec, &tree, "", true, &mut seen);
        }
        let every: BTreeSet<String> = TAGGED_SECTIONS
            .iter()
            .flat_map(|s| s.variants.iter().map(move |(v, _)| format!("{} {v}", s.section)))
            .collect();
        assert_eq!(seen, every, "the fixture has every variant");
        // Optional keys without a value are not written out.
        let text = "name = \"t\"\n[[channels]]\nname = \"w\"\nkind = \"media\"\n\
                    arrivals = { process = \"poisson\", leads_per_day = 1 }\nfit = 1\nstage_mix = { unaware = 1 }";
        let mut spec = parse_spec(text).unwrap();
        let tree = Value::try_from(&spec).unwrap();
        compare(&mut spec, &tree, "", false, &mut BTreeSet::new());
    }

    #[test]
    fn a_switched_variant_takes_serde_defaults() {
        let base = full(r#"policy = "immediate""#);
        let set = |items: &[&str]| {
            let ov: Vec<Override> = items.iter().map(|s| Override::parse(s).unwrap()).collect();
            format!("{:?}", apply(&base, &ov).unwrap().0)
        };
        // The propensity a file without one gets.
        let file = format!("{:?}", full(r#"policy = "buyer_initiated""#));
        assert_eq!(set(&["handoff.policy=buyer_initiated"]), file);
        let s = set(&[
            "channels.web.arrivals.process=bursts",
            "channels.web.arrivals.events=[{ day = 1, mean_leads = 2 }]",
        ]);
        assert!(s.contains("Bursts { events: [BurstSpec { day: 1.0, mean_leads: 2.0, duration_days: 1.0 }], repeat_every_days: None }"), "{s}");
        let s = set(&[
            "stages.b.dwell.distribution=lognormal",
            "stages.b.dwell.sigma=0.3",
        ]);
        assert!(
            s.contains("Lognormal { mean_days: 5.0, sigma: 0.3 }"),
            "the mean is kept: {s}"
        );
    }
}
