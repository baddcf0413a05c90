//! The reply an exchange needs, by the class of its code (RFC 5321 §4.2.1).

use super::reply::Reply;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// 2xx, positive completion: the greeting, and most commands.
    Completion,
    /// 3xx, positive intermediate: DATA's 354, AUTH LOGIN's 334s.
    Intermediate,
    /// Any reply, for the caller to judge (LuaSocket's `tp:check`); only a
    /// 2xx one takes effect.
    Judged,
    /// None: whatever the server answers is the failure, as after an
    /// XOAUTH2 error challenge.
    Failure,
}

impl Expect {
    /// Whether `reply` is the one hoped for; then the exchange takes effect.
    pub fn is_met_by(self, reply: &Reply) -> bool {
        match self {
            Expect::Completion | Expect::Judged => reply.class() == 2,
            Expect::Intermediate => reply.class() == 3,
            Expect::Failure => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_expectation_is_met_by_its_class_only() {
        let reply = |code| Reply {
            code,
            text: Vec::new(),
        };
        let met = |expect: Expect| {
            [220, 235, 250, 334, 354, 421, 535, 999]
                .into_iter()
                .filter(|&code| expect.is_met_by(&reply(code)))
                .collect::<Vec<_>>()
        };
        assert_eq!(met(Expect::Completion), [220, 235, 250]);
        assert_eq!(met(Expect::Judged), [220, 235, 250]);
        assert_eq!(met(Expect::Intermediate), [334, 354]);
        assert_eq!(met(Expect::Failure), [] as [u16; 0]);
    }
}
