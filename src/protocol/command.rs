//! The commands the client writes, each of which knows its bytes and what
//! of them the trace must not show.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command<'a> {
    Ehlo {
        domain: &'a [u8],
    },
    /// MAIL FROM:, the address as given (LuaSocket adds no brackets), then
    /// the ESMTP parameters, each after a space (or none).
    Mail {
        from: &'a [u8],
        parameters: &'a [u8],
    },
    /// RCPT TO:, the address as given, then the ESMTP parameters.
    Rcpt {
        to: &'a [u8],
        parameters: &'a [u8],
    },
    Data,
    Rset,
    Quit,
    StartTls,
    /// AUTH LOGIN; [`Command::LoginUser`] and [`Command::Secret`] follow.
    AuthLogin,
    /// The user name in base64, alone on its line: AUTH LOGIN's answer to
    /// its first challenge.
    LoginUser(&'a [u8]),
    /// The password in base64, alone on its line: AUTH LOGIN's answer to
    /// its second challenge.
    Secret(&'a [u8]),
    /// AUTH PLAIN with the initial response (RFC 4616).
    AuthPlain {
        user: &'a [u8],
        password: &'a [u8],
    },
    /// AUTH XOAUTH2 with an OAuth 2.0 bearer token, in the form Gmail and
    /// Outlook take.
    AuthXoauth2 {
        user: &'a [u8],
        token: &'a [u8],
    },
    /// The empty line that answers an XOAUTH2 error challenge.
    Empty,
    /// A script's own command, as LuaSocket's `tp:command` writes it: the
    /// verb in capitals, then a space and the argument if there is one.
    Script {
        verb: &'a [u8],
        argument: Option<&'a [u8]>,
    },
}

impl Command<'_> {
    /// Appends the command and its CRLF to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        match *self {
            Command::Ehlo { domain } => write_all(out, &[b"EHLO ", domain]),
            Command::Mail { from, parameters } => {
                write_all(out, &[b"MAIL FROM:", from, parameters]);
            }
            Command::Rcpt { to, parameters } => write_all(out, &[b"RCPT TO:", to, parameters]),
            Command::Data => out.extend_from_slice(b"DATA"),
            Command::Rset => out.extend_from_slice(b"RSET"),
            Command::Quit => out.extend_from_slice(b"QUIT"),
            Command::StartTls => out.extend_from_slice(b"STARTTLS"),
            Command::AuthLogin => out.extend_from_slice(b"AUTH LOGIN"),
            Command::LoginUser(secret) | Command::Secret(secret) => encode(out, secret),
            Command::AuthPlain { user, password } => {
                out.extend_from_slice(b"AUTH PLAIN ");
                encode(out, &[b"\0", user, b"\0", password].concat());
            }
            Command::AuthXoauth2 { user, token } => {
                out.extend_from_slice(b"AUTH XOAUTH2 ");
                let response = [b"user=", user, b"\x01auth=Bearer ", token, b"\x01\x01"];
                encode(out, &response.concat());
            }
            Command::Empty => {}
            Command::Script { verb, argument } => {
                out.extend(verb.iter().map(u8::to_ascii_uppercase));
                if let Some(argument) = argument {
                    write_all(out, &[b" ", argument]);
                }
            }
        }
        out.extend_from_slice(b"\r\n");
    }

    /// The field whose value holds CR or LF, if one does: written as it
    /// is, it would end the line early and inject a command of its own.
    /// Values written in base64 are safe; the user name is checked all the
    /// same, as it always has been.
    pub fn line_break(&self) -> Option<&'static str> {
        let (field, value) = match *self {
            Command::Ehlo { domain } => ("domain", domain),
            Command::Mail { from, .. } => ("from", from),
            Command::Rcpt { to, .. } => ("rcpt", to),
            Command::LoginUser(user)
            | Command::AuthPlain { user, .. }
            | Command::AuthXoauth2 { user, .. } => ("user", user),
            Command::Script { verb, argument } => {
                let broken = [verb, argument.unwrap_or_default()]
                    .iter()
                    .any(|value| has_line_break(value));
                return broken.then_some("command");
            }
            _ => return None,
        };
        has_line_break(value).then_some(field)
    }

    /// The step of a session this command is, as a failure's report
    /// names it.
    pub fn step(&self) -> &'static str {
        match self {
            Command::Ehlo { .. } => "ehlo",
            Command::Mail { .. } => "mail",
            Command::Rcpt { .. } => "rcpt",
            Command::Data => "data",
            Command::Rset => "rset",
            Command::Quit => "quit",
            Command::StartTls => "starttls",
            Command::AuthLogin
            | Command::LoginUser(_)
            | Command::Secret(_)
            | Command::AuthPlain { .. }
            | Command::AuthXoauth2 { .. }
            | Command::Empty => "auth",
            Command::Script { .. } => "command",
        }
    }

    /// Where, in the command's line, the secret starts: the trace shows
    /// what comes before it only.
    pub fn secret_from(&self) -> Option<usize> {
        match *self {
            Command::LoginUser(_) | Command::Secret(_) => Some(0),
            Command::AuthPlain { .. } => Some(b"AUTH PLAIN ".len()),
            Command::AuthXoauth2 { .. } => Some(b"AUTH XOAUTH2 ".len()),
            // AUTH's argument is the mechanism, then perhaps credentials.
            Command::Script {
                verb,
                argument: Some(argument),
            } if verb.eq_ignore_ascii_case(b"AUTH") => argument
                .iter()
                .position(|&byte| byte == b' ')
                .map(|space| b"AUTH ".len() + space + 1),
            _ => None,
        }
    }
}

fn has_line_break(value: &[u8]) -> bool {
    value.iter().any(|&byte| byte == b'\r' || byte == b'\n')
}

fn write_all(out: &mut Vec<u8>, parts: &[&[u8]]) {
    for part in parts {
        out.extend_from_slice(part);
    }
}

/// Appends `bytes` in base64.
fn encode(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(STANDARD.encode(bytes).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(command: Command<'_>) -> String {
        let mut out = b"before".to_vec();
        command.write(&mut out);
        String::from_utf8(out).unwrap().replacen("before", "", 1)
    }

    #[test]
    fn each_command_writes_the_bytes_luasocket_writes() {
        assert_eq!(line(Command::Ehlo { domain: b"here" }), "EHLO here\r\n");
        assert_eq!(
            line(Command::Mail {
                from: b"<a@x>",
                parameters: b""
            }),
            "MAIL FROM:<a@x>\r\n"
        );
        assert_eq!(
            line(Command::Mail {
                from: b"a@x",
                parameters: b""
            }),
            "MAIL FROM:a@x\r\n"
        );
        assert_eq!(
            line(Command::Rcpt {
                to: b"<b@y>",
                parameters: b""
            }),
            "RCPT TO:<b@y>\r\n"
        );
        assert_eq!(line(Command::Data), "DATA\r\n");
        assert_eq!(line(Command::Rset), "RSET\r\n");
        assert_eq!(line(Command::Quit), "QUIT\r\n");
        assert_eq!(line(Command::StartTls), "STARTTLS\r\n");
        assert_eq!(line(Command::AuthLogin), "AUTH LOGIN\r\n");
        assert_eq!(line(Command::Secret(b"alice")), "YWxpY2U=\r\n");
        assert_eq!(line(Command::Secret(b"")), "\r\n");
        assert_eq!(
            line(Command::AuthPlain {
                user: b"alice",
                password: b"secret"
            }),
            "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"
        );
        assert_eq!(line(Command::Empty), "\r\n");
    }

    #[test]
    fn xoauth2_sends_the_bearer_token_in_the_initial_response() {
        let command = Command::AuthXoauth2 {
            user: b"me@example.com",
            token: b"ya29.token",
        };
        let expected = STANDARD.encode("user=me@example.com\x01auth=Bearer ya29.token\x01\x01");
        assert_eq!(line(command), format!("AUTH XOAUTH2 {expected}\r\n"));
    }

    #[test]
    fn a_script_command_has_its_verb_in_capitals_and_its_argument_as_given() {
        let script = |verb, argument| line(Command::Script { verb, argument });
        assert_eq!(script(b"noop", None), "NOOP\r\n");
        assert_eq!(script(b"Mail", Some(b"FROM:<a@x>")), "MAIL FROM:<a@x>\r\n");
        assert_eq!(script(b"x", Some(b"")), "X \r\n");
    }

    #[test]
    fn a_line_break_is_found_in_the_field_written_as_it_is() {
        let broken = |command: Command<'_>| command.line_break();
        assert_eq!(
            broken(Command::Ehlo {
                domain: b"a\r\nMAIL"
            }),
            Some("domain")
        );
        assert_eq!(
            broken(Command::Mail {
                from: b"<a@x>\n",
                parameters: b""
            }),
            Some("from")
        );
        assert_eq!(
            broken(Command::Rcpt {
                to: b"\r",
                parameters: b""
            }),
            Some("rcpt")
        );
        assert_eq!(broken(Command::LoginUser(b"u\n")), Some("user"));
        let plain = Command::AuthPlain {
            user: b"a",
            password: b"b\r\n",
        };
        assert_eq!(broken(plain), None, "the password goes in base64");
        assert_eq!(broken(Command::Secret(b"\n")), None);
        let script = |verb, argument| broken(Command::Script { verb, argument });
        assert_eq!(script(b"NOOP\r\n", None), Some("command"));
        assert_eq!(script(b"NOOP", Some(b"x\ny")), Some("command"));
        assert_eq!(script(b"NOOP", Some(b"x y")), None);
        assert_eq!(
            broken(Command::Mail {
                from: b"<a@x>",
                parameters: b""
            }),
            None
        );
    }

    #[test]
    fn only_credentials_are_secret() {
        let secret = |command: Command<'_>| command.secret_from();
        assert_eq!(
            secret(Command::Mail {
                from: b"<a@x>",
                parameters: b""
            }),
            None
        );
        assert_eq!(secret(Command::AuthLogin), None);
        assert_eq!(secret(Command::LoginUser(b"alice")), Some(0));
        assert_eq!(secret(Command::Secret(b"secret")), Some(0));
        let plain = Command::AuthPlain {
            user: b"a",
            password: b"b",
        };
        assert_eq!(secret(plain), Some(11));
        let xoauth2 = Command::AuthXoauth2 {
            user: b"a",
            token: b"b",
        };
        assert_eq!(secret(xoauth2), Some(13));
        let script = |verb, argument| secret(Command::Script { verb, argument });
        assert_eq!(script(b"auth", Some(b"PLAIN AGFsaWNl")), Some(11));
        assert_eq!(script(b"AUTH", Some(b"LOGIN")), None);
        assert_eq!(script(b"AUTH", None), None);
        assert_eq!(script(b"NOOP", Some(b"a b")), None);
    }
}
