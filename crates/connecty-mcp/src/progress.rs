//! A wait's progress notifications: what it has seen (the ask, each poll,
//! retries) and, when the client sent a progress token, one notification
//! for each. The MCP specification lets a client reset its timeout on
//! progress, so a long wait stays alive; the 1 s tick between polls is the
//! wait's (server.rs).

use std::time::Instant;

use connecty_proto::{Event, QuestionId, State};
use rmcp::RoleServer;
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::Peer;

/// What a wait has seen so far, and the notifications it sent.
#[derive(Debug)]
pub(crate) struct Progress {
    /// The client's token; `None` when it asked for no progress.
    token: Option<ProgressToken>,
    started: Instant,
    sent: u32,
    asked: Option<QuestionId>,
    state: Option<State>,
    polls: u32,
}

impl Progress {
    /// A wait starting now, on `asked` when the question is known.
    pub fn new(token: Option<ProgressToken>, asked: Option<QuestionId>) -> Self {
        Self {
            token,
            started: Instant::now(),
            sent: 0,
            asked,
            state: None,
            polls: 0,
        }
    }

    /// Whether the client asked for progress notifications.
    pub fn wanted(&self) -> bool {
        self.token.is_some()
    }

    /// The question, once asked.
    pub fn asked(&self) -> Option<QuestionId> {
        self.asked
    }

    /// Takes in `e`; whether it deserves a notification (every poll, the
    /// ask, retries; a state change is followed by its poll's `Polled`,
    /// which sends it).
    pub fn note(&mut self, e: &Event) -> bool {
        match e {
            Event::Asked { question_id } => {
                self.asked = Some(*question_id);
                true
            }
            Event::StateChanged { .. } => false,
            Event::Polled {
                question_id,
                state,
                polls,
                ..
            } => {
                self.asked = Some(*question_id);
                self.state = Some(state.clone());
                self.polls = *polls;
                true
            }
            _ => true,
        }
    }

    /// The notification's message, without the elapsed time.
    pub fn message(&self) -> String {
        match (&self.asked, &self.state) {
            (Some(q), Some(s)) => format!("question {q}: {}, poll {}", s.as_str(), self.polls),
            (Some(q), None) => format!("question {q}: asked"),
            _ => "asking".to_string(),
        }
    }

    /// Sends one notification, when the client asked for them.
    pub async fn send(&mut self, peer: &Peer<RoleServer>) {
        let Some(token) = &self.token else { return };
        self.sent += 1;
        let message = format!(
            "{}, {:.1} s",
            self.message(),
            self.started.elapsed().as_secs_f64()
        );
        let param = ProgressNotificationParam::new(token.clone(), f64::from(self.sent))
            .with_message(message);
        let _ = peer.notify_progress(param).await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn every_poll_and_the_ask_are_noted_and_a_change_waits_for_its_poll() {
        let q: QuestionId = "00000000-0000-0000-0000-000000000007".parse().unwrap();
        let polled = |state: &str, polls| Event::Polled {
            question_id: q,
            state: State::from_wire(state),
            polls,
            elapsed: Duration::ZERO,
        };
        let mut seen = Progress::new(None, None);
        assert_eq!(seen.message(), "asking");
        let cases = [
            (
                Event::Asked { question_id: q },
                true,
                format!("question {q}: asked"),
            ),
            (
                Event::StateChanged {
                    question_id: q,
                    state: State::from_wire("PENDING"),
                    elapsed: Duration::ZERO,
                },
                false,
                format!("question {q}: asked"),
            ),
            (
                polled("PENDING", 1),
                true,
                format!("question {q}: PENDING, poll 1"),
            ),
            (
                polled("PENDING", 2),
                true,
                format!("question {q}: PENDING, poll 2"),
            ),
            (
                Event::Retrying {
                    endpoint: connecty_proto::request::Endpoint::Results,
                    attempt: 1,
                    delay: Duration::from_secs(1),
                    reason: "503".into(),
                },
                true,
                format!("question {q}: PENDING, poll 2"),
            ),
            (
                polled("COMPLETED", 3),
                true,
                format!("question {q}: COMPLETED, poll 3"),
            ),
        ];
        for (event, noted, message) in cases {
            assert_eq!(seen.note(&event), noted, "{event:?}");
            assert_eq!(seen.message(), message, "{event:?}");
        }
    }
}
