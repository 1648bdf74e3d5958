//! A real SMTP server on loopback that keeps every message it receives.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use mailin_embedded::{response, Handler, Response, Server, SslConfig};

/// One message as received.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The raw message (headers and body).
    pub raw: String,
}

impl ReceivedMail {
    /// The first `http://` link in the body, with quoted-printable soft breaks undone.
    pub fn first_link(&self) -> Option<String> {
        let unfolded = self
            .raw
            .replace("=\r\n", "")
            .replace("=\n", "")
            .replace("=3D", "=");
        let start = unfolded.find("http://")?;
        let link: String = unfolded[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        Some(link)
    }
}

#[derive(Clone)]
struct Collector {
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    current: Vec<u8>,
    to: Vec<String>,
}

impl Handler for Collector {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current.clear();
        self.to = to.to_vec();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let mail = ReceivedMail {
            to: std::mem::take(&mut self.to),
            raw: String::from_utf8_lossy(&self.current).into_owned(),
        };
        if let Ok(mut received) = self.received.lock() {
            received.push(mail);
        }
        response::OK
    }
}

/// The SMTP server and what it received.
#[derive(Clone)]
pub struct Mailbox {
    port: u16,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
}

impl Mailbox {
    /// Starts the server on a random loopback port, on its own thread.
    pub fn start() -> Mailbox {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind an SMTP port");
        let port = listener.local_addr().expect("SMTP address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let handler = Collector {
            received: received.clone(),
            current: Vec::new(),
            to: Vec::new(),
        };
        std::thread::spawn(move || {
            let mut server = Server::new(handler);
            server
                .with_name("mail.test.example")
                .with_tcp_listener(listener);
            if server.with_ssl(SslConfig::None).is_ok() {
                let _ = server.serve();
            }
        });
        Mailbox { port, received }
    }

    /// The URL to give comark.
    pub fn smtp_url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Everything received so far.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// The messages sent to `address`.
    pub fn messages_to(&self, address: &str) -> Vec<ReceivedMail> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.iter().any(|to| to == address))
            .collect()
    }
}
