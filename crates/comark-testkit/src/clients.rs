//! HTTP clients for tests: one for the JSON API, one that behaves like a browser
//! (cookies, CSRF fields, no automatic redirects so each step can be checked).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};

/// An HTTP answer, read whole.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub text: String,
    /// The body as JSON (`Null` when it is not JSON).
    pub json: serde_json::Value,
}

impl Reply {
    /// The `Location` header of a redirect.
    pub fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok())
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> &str {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

async fn read(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    Reply {
        status,
        headers,
        text,
        json,
    }
}

/// A client of the JSON API.
#[derive(Clone)]
pub struct Api {
    base: String,
    token: Option<String>,
    headers: Vec<(String, String)>,
    client: reqwest::Client,
}

impl Api {
    /// A client of the API at `base` (`http://HOST:PORT`), with an optional bearer token.
    pub fn new(base: &str, token: Option<String>) -> Api {
        Api {
            base: base.to_owned(),
            token,
            headers: Vec::new(),
            client: client(),
        }
    }

    /// The same client, sending `name: value` with every request (a proxy's
    /// `X-Forwarded-For`, say).
    pub fn with_header(mut self, name: &str, value: &str) -> Api {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sends any request with an optional JSON body.
    pub async fn send(&self, method: Method, path: &str, body: Option<serde_json::Value>) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.expect("the server answers")).await
    }

    /// GET.
    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, body: serde_json::Value) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }

    /// PATCH with a JSON body.
    pub async fn patch(&self, path: &str, body: serde_json::Value) -> Reply {
        self.send(Method::PATCH, path, Some(body)).await
    }

    /// PUT with a JSON body.
    pub async fn put(&self, path: &str, body: serde_json::Value) -> Reply {
        self.send(Method::PUT, path, Some(body)).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None).await
    }

    /// POST raw bytes (a file upload), with optional extra headers.
    pub async fn upload(&self, path: &str, bytes: Vec<u8>, headers: &[(&str, &str)]) -> Reply {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "text/csv")
            .body(bytes);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        read(request.send().await.expect("the server answers")).await
    }
}

/// The CSRF token a page handed out, and the session cookie it was handed out under.
type PageToken = (Option<String>, String);

/// A client that keeps cookies and fills in CSRF fields, like a browser would.
#[derive(Clone)]
pub struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: Arc<Mutex<BTreeMap<String, String>>>,
    session_cookie: &'static str,
    page_token: Arc<Mutex<Option<PageToken>>>,
}

impl Browser {
    pub(crate) fn new(base: &str, secure_cookies: bool) -> Browser {
        Browser {
            base: base.to_owned(),
            client: client(),
            cookies: Arc::default(),
            session_cookie: comark_server::auth::session_cookie_name(secure_cookies),
            page_token: Arc::default(),
        }
    }

    /// The CSRF token the forms of the last page carried, if it was handed out under the
    /// session the browser has now (signing in or out changes the token forms must echo).
    pub fn csrf_token(&self) -> Option<String> {
        let session = self.cookie(self.session_cookie);
        let remembered = self.page_token.lock().ok()?.clone();
        remembered
            .filter(|(under, _)| *under == session)
            .map(|(_, token)| token)
    }

    fn remember_token(&self, page: &str) {
        const FIELD: &str = r#"name="_csrf" value=""#;
        let Some(start) = page.find(FIELD).map(|at| at + FIELD.len()) else {
            return;
        };
        let Some(length) = page[start..].find('"') else {
            return;
        };
        let token = page[start..start + length].to_owned();
        if token.is_empty() {
            return;
        }
        let session = self.cookie(self.session_cookie);
        if let Ok(mut remembered) = self.page_token.lock() {
            *remembered = Some((session, token));
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .map(|c| {
                c.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default()
    }

    fn remember(&self, headers: &HeaderMap) {
        let Ok(mut cookies) = self.cookies.lock() else {
            return;
        };
        for value in headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((name, content)) = pair.split_once('=') {
                if content.is_empty() || value.contains("Max-Age=0") {
                    cookies.remove(name);
                } else {
                    cookies.insert(name.to_owned(), content.to_owned());
                }
            }
        }
    }

    /// A cookie's value.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().ok()?.get(name).cloned()
    }

    /// Forgets a cookie (or sets one to a value).
    pub fn set_cookie(&self, name: &str, value: Option<&str>) {
        if let Ok(mut cookies) = self.cookies.lock() {
            match value {
                Some(value) => cookies.insert(name.to_owned(), value.to_owned()),
                None => cookies.remove(name),
            };
        }
    }

    async fn send(&self, method: Method, path: &str, form: Option<Vec<(String, String)>>) -> Reply {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        let mut request = self
            .client
            .request(method, url)
            .header(COOKIE, self.cookie_header());
        if let Some(form) = form {
            request = request.form(&form);
        }
        let reply = read(request.send().await.expect("the server answers")).await;
        self.remember(&reply.headers);
        self.remember_token(&reply.text);
        reply
    }

    /// GET a page.
    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    /// GET a page, following redirects (at most ten).
    pub async fn follow(&self, path: &str) -> Reply {
        let mut reply = self.get(path).await;
        for _ in 0..10 {
            match (
                StatusCode::from_u16(reply.status).map(|s| s.is_redirection()),
                reply.location(),
            ) {
                (Ok(true), Some(location)) => {
                    let location = location.to_owned();
                    reply = self.get(&location).await;
                }
                _ => break,
            }
        }
        reply
    }

    /// POST a form with the CSRF token a page of this session carried, as a page's form
    /// would (opening the sign-in page, whose form every browser gets, when it has seen
    /// none).
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        if self.csrf_token().is_none() {
            self.get("/sign-in").await;
        }
        let mut form: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        form.push(("_csrf".into(), self.csrf_token().unwrap_or_default()));
        self.send(Method::POST, path, Some(form)).await
    }

    /// POST a form exactly as given (no CSRF token added).
    pub async fn submit_raw(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let form = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.send(Method::POST, path, Some(form)).await
    }

    /// Signs in through the form and checks it worked.
    pub async fn sign_in(&self, email: &str, password: &str) {
        let reply = self
            .submit("/sign-in", &[("email", email), ("password", password)])
            .await;
        assert_eq!(reply.status, 303, "sign-in failed: {}", reply.text);
    }
}
