//! Calibration from CRM stage history: what stage and outcome values mean
//! ([`vocabulary`]), cleaning the rows into opportunities ([`history`]),
//! maximum-likelihood [`fit`]s with the Kaplan–Meier curves they are
//! judged against ([`survival`]), and the scenario they add up to with its fit
//! check ([`estimate`]). Reading the files, whatever their layout, is an edge
//! (`input::crm`); everything here works on rows already in memory.

pub mod costs;
pub mod estimate;
pub mod fit;
pub mod history;
pub mod live;
pub mod survival;
pub mod vocabulary;
