//! The SMTP protocol without I/O: replies, extensions, DATA framing,
//! deadlines and the session state machine that both drivers run.

pub mod deadline;
pub mod dot_stuff;
pub mod extensions;
pub mod reply;
pub mod session;
pub mod trace;
