//! The dialogue as `trace` shows it: client lines as "C: ...", server lines
//! as "S: ...". Credentials never appear, and message data only by size.

/// What replaces a secret in a traced command.
const REDACTED: &[u8] = b"<redacted>";

#[derive(Debug, Default)]
pub struct Trace {
    enabled: bool,
    lines: Vec<Vec<u8>>,
}

impl Trace {
    /// A trace for a new connection: as enabled as this one, with no lines.
    pub fn fresh(&self) -> Trace {
        Trace {
            enabled: self.enabled,
            lines: Vec::new(),
        }
    }

    pub fn enable(&mut self) {
        self.enabled = true;
    }

    /// A command without its line end; from byte `secret_from` on, it is
    /// replaced by "<redacted>".
    pub fn command(&mut self, command: &[u8], secret_from: Option<usize>) {
        if !self.enabled {
            return;
        }
        let mut line = b"C: ".to_vec();
        match secret_from {
            Some(at) => {
                line.extend_from_slice(&command[..at.min(command.len())]);
                line.extend_from_slice(REDACTED);
            }
            None => line.extend_from_slice(command),
        }
        self.lines.push(line);
    }

    /// A reply, one line per line of its text.
    pub fn reply(&mut self, text: &[u8]) {
        if !self.enabled {
            return;
        }
        for reply_line in text.split(|&byte| byte == b'\n') {
            self.lines.push([b"S: ".as_slice(), reply_line].concat());
        }
    }

    /// The message data: its size, then the line that ends it.
    pub fn data(&mut self, size: u64) {
        if !self.enabled {
            return;
        }
        self.lines
            .push(format!("C: <{size} bytes of data>").into_bytes());
        self.lines.push(b"C: .".to_vec());
    }

    /// The lines traced since the last call.
    pub fn take(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: Vec<Vec<u8>>) -> Vec<String> {
        lines
            .into_iter()
            .map(|line| String::from_utf8(line).unwrap())
            .collect()
    }

    #[test]
    fn nothing_is_kept_unless_enabled() {
        let mut trace = Trace::default();
        trace.command(b"EHLO x", None);
        trace.reply(b"250 ok");
        assert!(trace.take().is_empty());
    }

    #[test]
    fn lines_are_marked_and_secrets_redacted() {
        let mut trace = Trace::default();
        trace.enable();
        trace.reply(b"250-mx\n250 AUTH PLAIN");
        trace.command(b"AUTH PLAIN AGFsaWNlAHNlY3JldA==", Some(11));
        trace.command(b"c2VjcmV0", Some(0));
        trace.data(1234);
        assert_eq!(
            text(trace.take()),
            [
                "S: 250-mx",
                "S: 250 AUTH PLAIN",
                "C: AUTH PLAIN <redacted>",
                "C: <redacted>",
                "C: <1234 bytes of data>",
                "C: .",
            ]
        );
        assert!(trace.take().is_empty(), "taken lines are gone");
    }
}
