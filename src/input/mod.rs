//! The edges that read data other than scenarios: CRM stage-history exports
//! ([`crm`]). Scenario files are read by the model itself
//! ([`crate::model::scenario`]).

pub mod crm;
