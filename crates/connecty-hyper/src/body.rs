//! Reading a response body under a size limit, decoding gzip as it arrives.

use std::fmt;
use std::io::{self, Write};

use http::HeaderMap;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use http_body_util::BodyExt;

/// How the body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Identity,
    Gzip,
}

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// More than the limit, raw or decoded.
    TooLarge,
    /// A `Content-Encoding` other than gzip.
    UnsupportedEncoding,
    /// The gzip stream is corrupt or truncated.
    Gzip(io::Error),
    /// The connection failed while reading.
    Read(hyper::Error),
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::TooLarge => f.write_str("response body larger than the limit"),
            BodyError::UnsupportedEncoding => {
                f.write_str("response has a Content-Encoding other than gzip")
            }
            BodyError::Gzip(e) => write!(f, "invalid gzip body: {e}"),
            BodyError::Read(e) => write!(f, "reading the body failed: {e}"),
        }
    }
}

/// The encoding named by `Content-Encoding` (absent or `identity` mean
/// none).
pub(crate) fn encoding(headers: &HeaderMap) -> Result<Encoding, BodyError> {
    let mut found = Encoding::Identity;
    for value in headers.get_all(CONTENT_ENCODING) {
        let value = value.to_str().map_err(|_| BodyError::UnsupportedEncoding)?;
        for token in value.split(',').map(str::trim) {
            if token.is_empty() || token.eq_ignore_ascii_case("identity") {
                continue;
            }
            let gzip = token.eq_ignore_ascii_case("gzip") || token.eq_ignore_ascii_case("x-gzip");
            if !gzip || found == Encoding::Gzip {
                // Another coding, or gzip twice: not what we asked for.
                return Err(BodyError::UnsupportedEncoding);
            }
            found = Encoding::Gzip;
        }
    }
    Ok(found)
}

/// The announced `Content-Length`, when there is one valid value.
pub(crate) fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// A buffer that refuses to grow past `limit`.
struct Limited {
    buf: Vec<u8>,
    limit: u64,
}

/// The marker error `Limited` writes fail with.
#[derive(Debug)]
struct OverLimit;

impl fmt::Display for OverLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("over the body limit")
    }
}

impl std::error::Error for OverLimit {}

impl Limited {
    fn push(&mut self, data: &[u8]) -> Result<(), BodyError> {
        if self.buf.len() as u64 + data.len() as u64 > self.limit {
            return Err(BodyError::TooLarge);
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }
}

impl Write for Limited {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.push(data).map_err(|_| io::Error::other(OverLimit))?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn gzip_error(e: io::Error) -> BodyError {
    if e.get_ref().is_some_and(|inner| inner.is::<OverLimit>()) {
        BodyError::TooLarge
    } else {
        BodyError::Gzip(e)
    }
}

enum Sink {
    Identity(Limited),
    Gzip(Box<flate2::write::MultiGzDecoder<Limited>>),
}

/// Reads `body` whole, decoding gzip on the fly; stops with
/// [`BodyError::TooLarge`] as soon as the raw or the decoded size passes
/// `limit`, so memory stays bounded by the limit.
pub(crate) async fn read<B>(
    mut body: B,
    encoding: Encoding,
    limit: u64,
    size_hint: Option<u64>,
) -> Result<Vec<u8>, BodyError>
where
    B: hyper::body::Body<Data = bytes::Bytes, Error = hyper::Error> + Unpin,
{
    // Trust the announced length for the first allocation, within reason.
    let initial = size_hint.unwrap_or(0).min(limit).min(8 * 1024 * 1024);
    let initial = usize::try_from(initial).unwrap_or(0);
    let buffer = Limited {
        buf: Vec::with_capacity(initial),
        limit,
    };
    let mut sink = match encoding {
        Encoding::Identity => Sink::Identity(buffer),
        Encoding::Gzip => Sink::Gzip(Box::new(flate2::write::MultiGzDecoder::new(buffer))),
    };
    let mut raw: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(BodyError::Read)?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        raw += data.len() as u64;
        if raw > limit {
            return Err(BodyError::TooLarge);
        }
        match &mut sink {
            Sink::Identity(b) => b.push(&data)?,
            Sink::Gzip(d) => d.write_all(&data).map_err(gzip_error)?,
        }
    }
    match sink {
        Sink::Identity(b) => Ok(b.buf),
        Sink::Gzip(d) => Ok(d.finish().map_err(gzip_error)?.buf),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connecty_emulator::gzip;
    use http::HeaderValue;
    use http_body_util::{BodyExt, Full};

    fn full(
        data: Vec<u8>,
    ) -> impl hyper::body::Body<Data = bytes::Bytes, Error = hyper::Error> + Unpin {
        Full::new(bytes::Bytes::from(data)).map_err(|never| match never {})
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn encodings() {
        let mut h = HeaderMap::new();
        assert_eq!(encoding(&h).unwrap(), Encoding::Identity);
        h.insert(CONTENT_ENCODING, HeaderValue::from_static("GZIP"));
        assert_eq!(encoding(&h).unwrap(), Encoding::Gzip);
        h.insert(CONTENT_ENCODING, HeaderValue::from_static("identity, gzip"));
        assert_eq!(encoding(&h).unwrap(), Encoding::Gzip);
        h.insert(CONTENT_ENCODING, HeaderValue::from_static("br"));
        assert!(encoding(&h).is_err());
        h.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip, gzip"));
        assert!(encoding(&h).is_err());
    }

    #[test]
    fn identity_within_and_over_the_limit() {
        let body = block_on(read(full(vec![7; 100]), Encoding::Identity, 100, None)).unwrap();
        assert_eq!(body.len(), 100);
        let e = block_on(read(full(vec![7; 101]), Encoding::Identity, 100, None)).unwrap_err();
        assert!(matches!(e, BodyError::TooLarge));
    }

    #[test]
    fn gzip_is_decoded_and_the_limit_applies_to_the_decoded_size() {
        let plain = vec![b'a'; 1_000_000];
        let packed = gzip(&plain);
        assert!(packed.len() < 10_000);
        let body = block_on(read(full(packed.clone()), Encoding::Gzip, 1_000_000, None)).unwrap();
        assert_eq!(body, plain);
        let e = block_on(read(full(packed), Encoding::Gzip, 999_999, None)).unwrap_err();
        assert!(matches!(e, BodyError::TooLarge));
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_limit() {
        // 16 MiB of zeros compresses to about 16 KiB; it is fed in 4 KiB
        // pieces and must stop at 1 MiB of output.
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..16 {
            e.write_all(&zeros).unwrap();
        }
        let packed = e.finish().unwrap();
        let body = Chunks(
            packed
                .chunks(4 * 1024)
                .map(bytes::Bytes::copy_from_slice)
                .collect(),
        );
        let e = block_on(read(body, Encoding::Gzip, 1024 * 1024, None)).unwrap_err();
        assert!(matches!(e, BodyError::TooLarge));
    }

    #[test]
    fn corrupt_gzip_is_an_error() {
        let mut packed = gzip(b"hello world, hello world");
        let n = packed.len();
        packed.truncate(n - 6);
        let e = block_on(read(full(packed), Encoding::Gzip, 1000, None)).unwrap_err();
        assert!(matches!(e, BodyError::Gzip(_)), "{e}");
    }

    /// A body made of the given chunks.
    struct Chunks(std::collections::VecDeque<bytes::Bytes>);

    impl hyper::body::Body for Chunks {
        type Data = bytes::Bytes;
        type Error = hyper::Error;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
            std::task::Poll::Ready(self.0.pop_front().map(|c| Ok(hyper::body::Frame::data(c))))
        }
    }
}
