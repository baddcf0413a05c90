//! A reference for `ReplyReader`: the whole input split into lines first,
//! then grouped into replies; and a check that the reader, fed the same
//! bytes in any pieces and polled at any time, returns what it returns.

use luasmtp::protocol::reply::{Reply, ReplyError, ReplyReader, MAX_LINE, MAX_REPLY};

/// What is done to the reader.
#[derive(Debug, Clone)]
pub enum Op {
    Push(Vec<u8>),
    PushLine(Vec<u8>),
    /// Takes replies until none is ready or one is an error.
    Poll,
    Clear,
}

/// The replies in `input`, up to and including the first error; the error
/// `TooLong` also for an unfinished last line already past the limit.
///
/// A line is what precedes an LF, CRs dropped. Its bytes as received,
/// CRs included, may be one more than `MAX_LINE` (room for the CR of its
/// CRLF), and without the CRs no more than `MAX_LINE`. A reply whose first
/// line is "ddd-" goes on until a line "ddd " with the same digits; its text
/// is its lines joined by LF, at most `MAX_REPLY` bytes.
pub fn reference(input: &[u8]) -> Vec<Result<Reply, ReplyError>> {
    let mut pieces: Vec<&[u8]> = input.split(|&byte| byte == b'\n').collect();
    let unfinished = pieces.pop().unwrap_or_default();
    let mut replies = Vec::new();
    let mut open: Option<Reply> = None;
    for raw in pieces {
        let line: Vec<u8> = raw.iter().copied().filter(|&byte| byte != b'\r').collect();
        if raw.len() > MAX_LINE + 1 || line.len() > MAX_LINE {
            replies.push(Err(ReplyError::TooLong));
            return replies;
        }
        let code = match line.get(..3) {
            Some(digits) if digits.iter().all(u8::is_ascii_digit) => Some(
                digits
                    .iter()
                    .fold(0u16, |code, digit| code * 10 + u16::from(digit - b'0')),
            ),
            _ => None,
        };
        let fourth = line.get(3).copied();
        match open.take() {
            None => match code {
                None => {
                    replies.push(Err(ReplyError::Invalid));
                    return replies;
                }
                Some(code) if fourth == Some(b'-') => open = Some(Reply { code, text: line }),
                Some(code) => replies.push(Ok(Reply { code, text: line })),
            },
            Some(mut reply) => {
                if reply.text.len() + 1 + line.len() > MAX_REPLY {
                    replies.push(Err(ReplyError::TooLong));
                    return replies;
                }
                reply.text.push(b'\n');
                reply.text.extend_from_slice(&line);
                if code == Some(reply.code) && fourth == Some(b' ') {
                    replies.push(Ok(reply));
                } else {
                    open = Some(reply);
                }
            }
        }
    }
    if unfinished.len() > MAX_LINE + 1 {
        replies.push(Err(ReplyError::TooLong));
    }
    replies
}

/// Runs `ops` on a reader. After every poll, the replies returned since the
/// last clear must be `reference` of the bytes pushed since then. After an
/// error the reader is not polled again until a clear, as a session gives
/// up its connection.
pub fn check_ops(ops: &[Op]) {
    let mut reader = ReplyReader::default();
    let mut pushed = Vec::new();
    let mut returned = Vec::new();
    let mut failed = false;
    for (step, op) in ops.iter().enumerate() {
        match op {
            Op::Push(bytes) => {
                reader.push(bytes);
                pushed.extend_from_slice(bytes);
            }
            Op::PushLine(line) => {
                reader.push_line(line);
                pushed.extend_from_slice(line);
                pushed.push(b'\n');
            }
            Op::Clear => {
                reader.clear();
                pushed.clear();
                returned.clear();
                failed = false;
            }
            Op::Poll if failed => {}
            Op::Poll => {
                while let Some(reply) = reader.next_reply() {
                    failed = reply.is_err();
                    returned.push(reply);
                    if failed {
                        break;
                    }
                }
                let expected = reference(&pushed);
                assert!(
                    returned == expected,
                    "step {step}: the reader returned {} replies ({:?}), the reference {} ({:?})",
                    returned.len(),
                    summary(&returned),
                    expected.len(),
                    summary(&expected),
                );
            }
        }
    }
}

/// Codes and text lengths: the texts can be hundreds of KiB.
fn summary(replies: &[Result<Reply, ReplyError>]) -> Vec<Result<(u16, usize), ReplyError>> {
    replies
        .iter()
        .map(|reply| {
            reply
                .as_ref()
                .map(|r| (r.code, r.text.len()))
                .map_err(|e| *e)
        })
        .collect()
}
