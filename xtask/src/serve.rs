//! `cargo xtask serve`: a small std-only HTTP/1.1 static file server over `www/`.
//!
//! One thread per connection, one request per connection (`Connection:
//! close`), `GET` and `HEAD` only. `/` and directories map to `index.html`
//! (a directory without its trailing slash is redirected so relative imports
//! resolve). Request paths are percent-decoded and any `..` segment is
//! refused with 403, so nothing outside the served directory is reachable;
//! `node_modules/` is served like the rest since the page's import map points
//! into it. Until the playground is built, `/` shows a generated page saying
//! what exists. [`start`] serves the playground (`cargo xtask serve`) and the
//! browser test (on a free port).
//!
//! Files are revalidated, not re-sent: each response carries an `ETag`
//! (the file's length and modification time) with `Cache-Control:
//! no-cache`, so a reload after a rebuild always gets the new files and a
//! reload without one is answered `304 Not Modified`. Text and wasm are
//! sent gzip-compressed when the client accepts it (the page's 1.8 MB of
//! wasm goes over as about a third of that), compressed once per version
//! of a file.

use crate::cmd::Result;
use flate2::Compression;
use flate2::write::GzEncoder;
use std::collections::HashMap;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::Duration;

/// Binds `127.0.0.1:port` (0 = any free port) and serves `root` from a
/// background thread. Returns the bound address.
pub fn start(root: &Path, port: u16) -> Result<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e} (try --port N)"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let root = root.to_path_buf();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            thread::spawn(move || {
                if let Err(e) = handle(stream, &root) {
                    eprintln!("xtask serve: connection error: {e}");
                }
            });
        }
    });
    Ok(addr)
}

struct Response {
    status: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
    location: Option<String>,
    /// The served file's version, for revalidation.
    etag: Option<String>,
    /// The body is gzip-compressed.
    gzip: bool,
}

impl Response {
    fn text(status: &'static str, body: &str) -> Self {
        let body = format!("{status}\n{body}\n").into_bytes();
        Response { status, content_type: "text/plain; charset=utf-8", body, location: None, etag: None, gzip: false }
    }
}

/// What the request's headers ask for.
#[derive(Default)]
struct Asks {
    gzip: bool,
    if_none_match: Option<String>,
}

/// A file's version: its length and modification time.
fn etag(meta: &fs::Metadata) -> String {
    let mtime = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).unwrap_or_default();
    format!("\"{:x}-{:x}\"", meta.len(), mtime.as_nanos())
}

/// Worth compressing: text and wasm.
fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("application/") && !content_type.ends_with("octet-stream")
        || content_type == "image/svg+xml"
}

/// Compressed bodies by path: the version compressed, and the bytes.
type GzCache = Mutex<HashMap<PathBuf, (String, Vec<u8>)>>;

/// `body` gzip-compressed, from a cache keyed by path and version.
fn gzipped(path: &Path, etag: &str, body: &[u8]) -> io::Result<Vec<u8>> {
    static CACHE: OnceLock<GzCache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some((tag, z)) = cache.lock().map_err(|_| io::Error::other("cache poisoned"))?.get(path)
        && tag == etag
    {
        return Ok(z.clone());
    }
    let mut enc = GzEncoder::new(Vec::with_capacity(body.len() / 3), Compression::default());
    enc.write_all(body)?;
    let z = enc.finish()?;
    cache
        .lock()
        .map_err(|_| io::Error::other("cache poisoned"))?
        .insert(path.to_path_buf(), (etag.to_string(), z.clone()));
    Ok(z)
}

fn handle(stream: TcpStream, root: &Path) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    reader.by_ref().take(8192).read_line(&mut request_line)?;
    // Two headers matter: Accept-Encoding and If-None-Match.
    let mut asks = Asks::default();
    for _ in 0..100 {
        let mut header = String::new();
        let n = reader.by_ref().take(8192).read_line(&mut header)?;
        if n == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "accept-encoding" => asks.gzip = value.split(',').any(|e| e.trim().split(';').next() == Some("gzip")),
                "if-none-match" => asks.if_none_match = Some(value.to_string()),
                _ => {}
            }
        }
    }
    let mut words = request_line.split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let response = respond(method, target, root, &asks);
    if !response.status.starts_with('2') && !response.status.starts_with("304") {
        eprintln!("xtask serve: {method} {target} -> {}", response.status);
    }

    let mut head = format!(
        "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\n",
        response.status,
        response.content_type,
        response.body.len()
    );
    if let Some(location) = &response.location {
        head.push_str(&format!("Location: {location}\r\n"));
    }
    if let Some(etag) = &response.etag {
        head.push_str(&format!("ETag: {etag}\r\nVary: Accept-Encoding\r\n"));
    }
    if response.gzip {
        head.push_str("Content-Encoding: gzip\r\n");
    }
    head.push_str("\r\n");
    let mut out = &stream;
    out.write_all(head.as_bytes())?;
    if method != "HEAD" {
        out.write_all(&response.body)?;
    }
    out.flush()
}

fn respond(method: &str, target: &str, root: &Path, asks: &Asks) -> Response {
    if method != "GET" && method != "HEAD" {
        return Response::text("405 Method Not Allowed", "only GET and HEAD are supported");
    }
    let Some(relative) = sanitize(target) else {
        return Response::text("403 Forbidden", "path not allowed");
    };
    let mut path = root.join(&relative);
    if path.is_dir() {
        let raw_path = target.split(['?', '#']).next().unwrap_or("/");
        if !raw_path.ends_with('/') {
            let mut moved = Response::text("301 Moved Permanently", "");
            moved.location = Some(format!("{raw_path}/"));
            return moved;
        }
        path.push("index.html");
    }
    // The version first: an unchanged file is answered without reading it.
    let tag = fs::metadata(&path).ok().filter(fs::Metadata::is_file).map(|meta| etag(&meta));
    if let Some(unchanged) = tag.as_deref().filter(|&t| asks.if_none_match.as_deref() == Some(t)) {
        return Response {
            status: "304 Not Modified",
            content_type: mime_type(&path),
            body: Vec::new(),
            location: None,
            etag: Some(unchanged.to_string()),
            gzip: false,
        };
    }
    match tag.map(|tag| fs::read(&path).map(|body| (tag, body))) {
        Some(Ok((tag, body))) => {
            let content_type = mime_type(&path);
            let zipped = (asks.gzip && body.len() > 1024 && compressible(content_type))
                .then(|| gzipped(&path, &tag, &body).ok())
                .flatten();
            let gzip = zipped.is_some();
            let body = zipped.unwrap_or(body);
            Response { status: "200 OK", content_type, body, location: None, etag: Some(tag), gzip }
        }
        _ if path == root.join("index.html") => Response {
            status: "200 OK",
            content_type: "text/html; charset=utf-8",
            body: placeholder_page(root).into_bytes(),
            location: None,
            etag: None,
            gzip: false,
        },
        _ => Response::text("404 Not Found", target),
    }
}

/// Maps a request target (`/a/b.js?x`) to a path relative to the served
/// directory. `None` for anything that is not a plain absolute path: a `..`
/// segment, a backslash, a NUL, or a bad percent escape.
fn sanitize(target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let path = path.strip_prefix('/')?;
    let decoded = percent_decode(path)?;
    let mut relative = PathBuf::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return None,
            s if s.contains(['\\', '\0']) => return None,
            s => relative.push(s),
        }
    }
    Some(relative)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn mime_type(path: &Path) -> &'static str {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The page shown at `/` while `index.html` does not exist yet.
fn placeholder_page(root: &Path) -> String {
    let mut entries: Vec<String> = fs::read_dir(root)
        .map(|dir| dir.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    entries.sort();
    let listing = if entries.is_empty() { "(empty)".to_string() } else { entries.join(", ") };
    let crate_status = |manifest: &str| {
        let state = if Path::new(manifest).exists() { "present" } else { "not written yet" };
        format!("<li><code>{manifest}</code>: {state}</li>")
    };
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>ipclab playground: not built yet</title></head>\n\
         <body><h1>ipclab playground is not built yet</h1>\n\
         <p>{root}/index.html does not exist. Status:</p><ul>{}{}</ul>\n\
         <p>Contents of {root}/: {listing}</p>\n\
         <p>Run <code>cargo xtask serve</code> again once the playground exists.</p></body></html>\n",
        crate_status("component/Cargo.toml"),
        crate_status("playground/Cargo.toml"),
        root = html_escape(&root.display().to_string()),
        listing = html_escape(&listing),
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::{mime_type, percent_decode, sanitize, start};
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::path::{Path, PathBuf};

    fn get(addr: SocketAddr, request_line: &str) -> String {
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(stream, "{request_line}\r\nHost: x\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }

    #[test]
    fn serves_files_over_tcp() {
        let root = std::env::temp_dir().join(format!("xtask-serve-test-{}", std::process::id()));
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        std::fs::write(root.join("index.html"), "<p>hi</p>").unwrap();
        std::fs::write(root.join("pkg/index.html"), "pkg").unwrap();
        std::fs::write(root.join("pkg/m.wasm"), b"\0asm").unwrap();
        let addr = start(&root, 0).unwrap();

        let home = get(addr, "GET / HTTP/1.1");
        assert!(home.starts_with("HTTP/1.1 200 OK\r\n"), "{home}");
        assert!(home.contains("Content-Type: text/html") && home.ends_with("<p>hi</p>"));
        let wasm = get(addr, "GET /pkg/m.wasm?v=2 HTTP/1.1");
        assert!(wasm.contains("Content-Type: application/wasm") && wasm.contains("Content-Length: 4"));
        let head = get(addr, "HEAD /pkg/m.wasm HTTP/1.1");
        assert!(head.contains("Content-Length: 4") && head.ends_with("\r\n\r\n"));
        let moved = get(addr, "GET /pkg HTTP/1.1");
        assert!(moved.starts_with("HTTP/1.1 301") && moved.contains("Location: /pkg/\r\n"));
        assert!(get(addr, "GET /pkg/ HTTP/1.1").ends_with("pkg"));
        assert!(get(addr, "GET /nope HTTP/1.1").starts_with("HTTP/1.1 404"));
        assert!(get(addr, "GET /../x HTTP/1.1").starts_with("HTTP/1.1 403"));
        assert!(get(addr, "DELETE / HTTP/1.1").starts_with("HTTP/1.1 405"));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn compresses_and_revalidates() {
        use flate2::read::GzDecoder;
        let root = std::env::temp_dir().join(format!("xtask-serve-gzip-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        let js = "export const x = 1;\n".repeat(500);
        std::fs::write(root.join("a.js"), &js).unwrap();
        let addr = start(&root, 0).unwrap();
        let raw = |req: &str| {
            let mut stream = TcpStream::connect(addr).unwrap();
            write!(stream, "{req}\r\n\r\n").unwrap();
            let mut out = Vec::new();
            stream.read_to_end(&mut out).unwrap();
            let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
            (String::from_utf8(out[..split].to_vec()).unwrap(), out[split + 4..].to_vec())
        };
        let (head, body) = raw("GET /a.js HTTP/1.1\r\nAccept-Encoding: br, gzip;q=1");
        assert!(head.contains("Content-Encoding: gzip") && head.contains("Cache-Control: no-cache"), "{head}");
        assert!(body.len() < js.len() / 4, "{} of {} bytes", body.len(), js.len());
        let mut text = String::new();
        GzDecoder::new(&body[..]).read_to_string(&mut text).unwrap();
        assert_eq!(text, js);
        let etag = head.lines().find_map(|l| l.strip_prefix("ETag: ")).unwrap().to_string();
        let (head, body) = raw(&format!("GET /a.js HTTP/1.1\r\nIf-None-Match: {etag}"));
        assert!(head.starts_with("HTTP/1.1 304 Not Modified") && body.is_empty(), "{head}");
        let (head, body) = raw("GET /a.js HTTP/1.1");
        assert!(!head.contains("Content-Encoding") && body == js.as_bytes(), "no gzip unless asked");
        std::fs::write(root.join("a.js"), "changed").unwrap();
        let (head, _) = raw(&format!("GET /a.js HTTP/1.1\r\nIf-None-Match: {etag}"));
        assert!(head.starts_with("HTTP/1.1 200 OK"), "a changed file is sent again: {head}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn mime_types() {
        assert_eq!(mime_type(Path::new("index.html")), "text/html; charset=utf-8");
        assert_eq!(mime_type(Path::new("a/b.mjs")), "text/javascript; charset=utf-8");
        assert_eq!(mime_type(Path::new("pkg/x.JS")), "text/javascript; charset=utf-8");
        assert_eq!(mime_type(Path::new("c.wasm")), "application/wasm");
        assert_eq!(mime_type(Path::new("s.css")), "text/css; charset=utf-8");
        assert_eq!(mime_type(Path::new("p.json")), "application/json");
        assert_eq!(mime_type(Path::new("i.svg")), "image/svg+xml");
        assert_eq!(mime_type(Path::new("i.png")), "image/png");
        assert_eq!(mime_type(Path::new("noext")), "application/octet-stream");
    }

    #[test]
    fn sanitize_maps_plain_paths() {
        assert_eq!(sanitize("/"), Some(PathBuf::new()));
        assert_eq!(sanitize("/index.html?v=1#top"), Some(PathBuf::from("index.html")));
        assert_eq!(
            sanitize("/node_modules/@bytecodealliance/x.js"),
            Some(PathBuf::from("node_modules/@bytecodealliance/x.js"))
        );
        assert_eq!(sanitize("/a//./b%20c"), Some(PathBuf::from("a/b c")));
    }

    #[test]
    fn sanitize_rejects_traversal_and_oddities() {
        for bad in ["/../etc/passwd", "/a/../../x", "/%2e%2e/x", "/a%2F..%2Fb", "/a\\b", "/%00", "/%zz", "x", ""] {
            assert_eq!(sanitize(bad), None, "{bad:?} must be rejected");
        }
        assert_eq!(sanitize("/..foo"), Some(PathBuf::from("..foo")));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%41%2f").as_deref(), Some("aA/"));
        assert_eq!(percent_decode("%4"), None);
    }
}
