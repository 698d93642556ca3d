//! A one-thread HTTP server for tests of `probe.http`.

use std::io::{Read as _, Write as _};
use std::net::{IpAddr, TcpListener};

/// Serves on `address` (port chosen by the system), answering every request
/// with 200 and `body`; returns the port.
pub fn serve(address: IpAddr, body: &'static str) -> u16 {
    let listener = TcpListener::bind((address, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}
