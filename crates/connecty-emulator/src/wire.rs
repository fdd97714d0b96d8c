//! The emulator's side of HTTP: reading a request body within its limit,
//! content negotiation, gzip, and the response every endpoint's reply
//! becomes (JSON content type, `Date`, `Vary`).

use std::io::Write as _;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;

use crate::reply::Reply;

/// The largest request body accepted: 1 MiB. Larger bodies get 413.
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The most bytes of an oversized body read and dropped before answering
/// 413: 16 MiB.
const DRAIN_BYTES: usize = 16 * 1024 * 1024;

/// Bodies at least this large are compressed off the async workers.
const BLOCKING_GZIP_BYTES: usize = 64 * 1024;

/// Reads a request body of at most [`MAX_BODY_BYTES`]. A larger body is
/// read on and dropped (up to [`DRAIN_BYTES`]) before the 413 goes out, so
/// the client sees the answer rather than a reset connection.
pub(crate) async fn read_body(req: Request<Incoming>) -> Result<Vec<u8>, Reply> {
    let too_large = || {
        Reply::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > DRAIN_BYTES as u64) {
        return Err(too_large());
    }
    let mut body = req.into_body();
    let mut out = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(Reply::error(
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            ));
        };
        if let Ok(data) = frame.into_data() {
            seen = seen.saturating_add(data.len());
            if seen <= MAX_BODY_BYTES {
                out.extend_from_slice(&data);
            } else if seen > DRAIN_BYTES {
                break;
            }
        }
    }
    if seen > MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(out)
}

/// Whether `Accept-Encoding` allows gzip (`gzip`, `x-gzip` or `*`, with a
/// non-zero q-value).
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut gzip: Option<bool> = None;
    let mut star = false;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q_zero = parts.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=")
                    .or_else(|| p.strip_prefix("Q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            match name.as_str() {
                "gzip" | "x-gzip" => gzip = Some(!q_zero),
                "*" => star = !q_zero,
                _ => {}
            }
        }
    }
    gzip.unwrap_or(star)
}

/// `body` gzip-compressed at flate2's default level: the one gzip encoder
/// of the workspace's test servers. (The emulator's own answers use the
/// fastest level: it compresses every large answer on the fly.)
///
/// ```
/// let packed = connecty_emulator::gzip(b"{\"status\":\"ok\"}");
/// assert_eq!(&packed[..2], b"\x1f\x8b");
/// ```
pub fn gzip(body: &[u8]) -> Vec<u8> {
    gzip_at(body, flate2::Compression::default())
}

/// `body` gzip-compressed at flate2's fastest level, as the emulator sends
/// it: it compresses every large answer on the fly, and level 6 spent
/// ~0.7 s per 17 MB answer and dominated client benchmarks, for an output
/// only a few percent smaller.
pub(crate) fn gzip_fast(body: &[u8]) -> Vec<u8> {
    gzip_at(body, flate2::Compression::fast())
}

fn gzip_at(body: &[u8], level: flate2::Compression) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 4 + 64), level);
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(body);
    enc.finish().unwrap_or_default()
}

/// Builds the HTTP response: JSON content type, `Date`, and gzip when
/// accepted.
pub(crate) async fn encode(reply: Reply, gzip_ok: bool) -> Response<Full<Bytes>> {
    let Reply {
        status,
        body,
        headers,
        cached,
    } = reply;
    let (body, gzipped): (Bytes, bool) = match cached {
        Some(c) if gzip_ok => {
            let made = Arc::clone(&c);
            let packed = tokio::task::spawn_blocking(move || {
                made.gzip
                    .get_or_init(|| Bytes::from(gzip_fast(&made.plain)))
                    .clone()
            })
            .await;
            match packed {
                Ok(packed) => (packed, true),
                Err(_) => (c.plain.clone(), false),
            }
        }
        Some(c) => (c.plain.clone(), false),
        None if gzip_ok && body.len() >= BLOCKING_GZIP_BYTES => {
            match tokio::task::spawn_blocking(move || gzip_fast(&body)).await {
                Ok(packed) => (Bytes::from(packed), true),
                // The runtime is stopping: the answer is lost anyway.
                Err(_) => (Bytes::new(), false),
            }
        }
        None if gzip_ok => (Bytes::from(gzip_fast(&body)), true),
        None => (Bytes::from(body), false),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(date) =
        HeaderValue::from_str(&connecty_proto::net::format_http_date(chrono::Utc::now()))
    {
        h.insert(header::DATE, date);
    }
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if gzipped {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    for (name, value) in headers {
        h.insert(name, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_is_read_with_q_values() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            accepts_gzip(&m)
        };
        assert!(h("gzip"));
        assert!(h("br, GZIP;q=0.5"));
        assert!(h("*"));
        assert!(!h("gzip;q=0"));
        assert!(!h("*, gzip;q=0"));
        assert!(!h("br, deflate"));
        assert!(!h("identity"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn gzip_round_trips() {
        let body = br#"{"state":"PENDING"}"#.repeat(100);
        let c = gzip_fast(&body);
        let mut d = flate2::read::GzDecoder::new(&c[..]);
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut d, &mut out).unwrap();
        assert_eq!(out, body);
    }
}
