//! The SMTP protocol without I/O: replies, what EHLO offers, commands, DATA
//! framing, deadlines and the session state machine that both drivers run.

pub mod capabilities;
pub mod command;
pub mod deadline;
pub mod dialogue;
pub mod dot_stuff;
pub mod enhanced_status;
pub mod envelope_address;
pub mod expect;
pub mod mail_parameters;
pub mod reply;
pub mod session;
pub mod trace;
pub mod xtext;
