//! Properties of the protocol and message code on generated inputs, checked
//! by the references in `tests/oracle/`. The fuzz targets in `fuzz/` check
//! the same properties on inputs libFuzzer finds.

#[path = "../oracle/mod.rs"]
mod oracle;

mod composer;
mod dkim;
mod dot_stuff;
mod ehlo;
mod generators;
mod layout;
mod mail_parameters;
mod reply;
mod xtext;
