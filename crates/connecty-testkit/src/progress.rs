//! Recording what a wait reports, for tests of the progress callback.

use std::sync::{Arc, Mutex};

use connecty_proto::{Event, State, WaitOptions};

/// `options` with a progress callback that records every state the wait
/// reports, and the record (shared with the callback).
///
/// ```
/// use connecty_testkit::{MockTransport, progress::record_states};
/// use connecty_proto::{State, WaitOptions};
///
/// let (options, states) = record_states(WaitOptions::new());
/// let client = MockTransport::completed(r#"[["n"],[1]]"#).blocking_client();
/// client.ask_and_wait(13, "q", &options).unwrap();
/// assert_eq!(states.lock().unwrap().last(), Some(&State::Completed));
/// ```
pub fn record_states(options: WaitOptions) -> (WaitOptions, Arc<Mutex<Vec<State>>>) {
    let states = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&states);
    let options = options.on_progress(move |e| {
        if let Event::StateChanged { state, .. } = e {
            seen.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(state.clone());
        }
    });
    (options, states)
}
