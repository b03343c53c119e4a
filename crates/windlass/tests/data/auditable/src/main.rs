//! A health endpoint on `127.0.0.1:$SVC_PORT`, with a vulnerable dependency linked in.
use std::io::{Read, Write};

fn main() {
    let buffered: smallvec::SmallVec<[u8; 8]> = smallvec::SmallVec::new();
    let port = std::env::var("SVC_PORT").unwrap_or_else(|_| "8080".into());
    let listener = std::net::TcpListener::bind(format!("127.0.0.1:{port}")).expect("the port");
    println!("svc listening on {port} ({} buffered)", buffered.len());
    for stream in listener.incoming().flatten() {
        let mut stream = stream;
        let mut request = [0u8; 512];
        let _ = stream.read(&mut request);
        let _ = stream.write_all(b"HTTP/1.0 200 OK\r\n\r\n{\"status\":\"healthy\"}");
    }
}
