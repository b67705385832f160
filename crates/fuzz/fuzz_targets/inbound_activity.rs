//! Inbound activities: any bytes through the types every inbox parses. Parsing refuses or
//! accepts, never panics, however deep or odd the JSON.

#![no_main]

use libfuzzer_sys::fuzz_target;
use stoa_federation::inbox::InboxActivity;

fuzz_target!(|data: &[u8]| {
    if let Ok(activity) = serde_json::from_slice::<InboxActivity>(data) {
        // What was read can be written again.
        let _ = serde_json::to_vec(&activity);
    }
});
