//! Bytes on the runner's stdin (a request) or the client's (a response):
//! decoded or refused, never a panic; what decodes encodes back to itself.
#![no_main]

use froyo_runner_protocol::{Request, Response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = serde_json::from_slice::<Request>(data) {
        let again = serde_json::to_vec(&request).expect("a decoded request encodes");
        let decoded: Request = serde_json::from_slice(&again).expect("an encoded request decodes");
        assert_eq!(decoded, request);
    }
    if let Ok(response) = serde_json::from_slice::<Response>(data) {
        let again = serde_json::to_vec(&response).expect("a decoded response encodes");
        let decoded: Response =
            serde_json::from_slice(&again).expect("an encoded response decodes");
        assert_eq!(decoded, response);
    }
});
