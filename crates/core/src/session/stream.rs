//! [`StreamingResponse`]: a response whose body is read as it arrives (a Glance image, a Swift
//! object), from [`RequestBuilder::send_streaming`](super::RequestBuilder::send_streaming).

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use http::{HeaderMap, StatusCode};

use super::response::body_read_error;
use super::{Response, REQUEST_ID_HEADER};
use crate::error::{Error, Result};

/// A response whose status, headers and URL are known and whose body has not been read.
///
/// Everything before the first body byte happened as for [`send`](super::RequestBuilder::send):
/// authentication, the 401 reauthentication and retry, connect and status retries, redirects,
/// failure statuses as errors (their small bodies read for the message), timing and logging
/// (the body is logged as "streamed body, not logged"). The body then comes chunk by chunk,
/// each within the read timeout ([`RequestOptions::read_timeout`](super::RequestOptions),
/// default: the request's timeout); a stall ends with [`Error::ConnectTimeout`].
///
/// ```no_run
/// # async fn demo(session: keystoneauth_core::Session) -> keystoneauth_core::Result<()> {
/// use keystoneauth_core::EndpointFilter;
/// let mut image = session
///     .get("/v2/images/1f3c/file")
///     .endpoint_filter(EndpointFilter::service("image"))
///     .send_streaming()
///     .await?;
/// let mut file = tokio::fs::File::create("image.qcow2").await.map_err(|e| {
///     keystoneauth_core::Error::Config(e.to_string())
/// })?;
/// let bytes = image.copy_to(&mut file).await?;
/// println!("{bytes} bytes");
/// # Ok(()) }
/// ```
pub struct StreamingResponse {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) url: String,
    pub(super) elapsed: Duration,
    pub(super) body: Body,
    pub(super) read_timeout: Option<Duration>,
    pub(super) received: u64,
}

/// Where the body comes from: the connection, or (for a response the session had to read,
/// such as a failure status with `raise_exc(false)`) memory.
pub(super) enum Body {
    Live(reqwest::Response),
    Read(Option<Bytes>),
}

impl fmt::Debug for StreamingResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamingResponse")
            .field("status", &self.status)
            .field("url", &self.url)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

impl StreamingResponse {
    /// Status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// Headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The final URL (after redirects).
    pub fn url(&self) -> &str {
        &self.url
    }
    /// `X-OpenStack-Request-ID` (or `X-Compute-Request-ID`).
    pub fn request_id(&self) -> Option<&str> {
        self.header(REQUEST_ID_HEADER)
            .or_else(|| self.header("x-compute-request-id"))
    }
    /// Time to the response's headers.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
    /// `Content-Length`, when the server sent one.
    pub fn content_length(&self) -> Option<u64> {
        match &self.body {
            Body::Live(r) => r.content_length(),
            Body::Read(b) => Some(b.as_ref().map_or(0, |b| b.len() as u64)),
        }
    }
    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }
    /// Bytes of the body read so far.
    pub fn bytes_read(&self) -> u64 {
        self.received
    }

    /// The next chunk of the body, or `None` at its end. A chunk that does not arrive within
    /// the read timeout is [`Error::ConnectTimeout`] naming the URL and the timeout.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        let live = match &mut self.body {
            Body::Live(r) => r,
            Body::Read(b) => {
                let chunk = b.take().filter(|b| !b.is_empty());
                self.received += chunk.as_ref().map_or(0, |c| c.len() as u64);
                return Ok(chunk);
            }
        };
        let next = live.chunk();
        let got = match self.read_timeout {
            Some(t) => tokio::time::timeout(t, next).await.map_err(|_| {
                Error::timeout(
                    format!(
                        "{} (reading the body, after {} bytes)",
                        self.url, self.received
                    ),
                    Some(t),
                    None,
                )
            })?,
            None => next.await,
        };
        match got {
            Ok(Some(chunk)) => {
                self.received += chunk.len() as u64;
                Ok(Some(chunk))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(body_read_error(&self.url, self.read_timeout, e)),
        }
    }

    /// The body as a [`Stream`] of chunks (each within the read timeout).
    pub fn bytes_stream(self) -> impl Stream<Item = Result<Bytes>> + Send + 'static {
        futures::stream::try_unfold(self, |mut r| async move {
            Ok(r.chunk().await?.map(|chunk| (chunk, r)))
        })
    }

    /// The body as an [`AsyncRead`](tokio::io::AsyncRead); errors are `std::io::Error`s whose
    /// inner error is the [`Error`].
    pub fn into_async_read(self) -> impl tokio::io::AsyncRead + Send + Unpin + 'static {
        use futures::TryStreamExt as _;
        tokio_util::io::StreamReader::new(Box::pin(
            self.bytes_stream().map_err(std::io::Error::other),
        ))
    }

    /// Writes the whole body to `out` as it arrives; returns how many bytes were written.
    pub async fn copy_to<W>(&mut self, out: &mut W) -> Result<u64>
    where
        W: tokio::io::AsyncWrite + Unpin + ?Sized,
    {
        use tokio::io::AsyncWriteExt as _;
        let mut written = 0u64;
        while let Some(chunk) = self.chunk().await? {
            out.write_all(&chunk)
                .await
                .map_err(|e| write_error(&self.url, e))?;
            written += chunk.len() as u64;
        }
        out.flush().await.map_err(|e| write_error(&self.url, e))?;
        Ok(written)
    }

    /// Reads the rest of the body into memory (at most `limit` bytes) as a [`Response`].
    pub async fn into_response(mut self, limit: usize) -> Result<Response> {
        let mut body = bytes::BytesMut::new();
        while let Some(chunk) = self.chunk().await? {
            if body.len() + chunk.len() > limit {
                return Err(Error::InvalidResponse(format!(
                    "{}: response body exceeds the limit of {limit} bytes",
                    self.url
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status: self.status,
            headers: self.headers,
            url: self.url,
            body: body.freeze(),
            elapsed: self.elapsed,
        })
    }
}

fn write_error(url: &str, e: std::io::Error) -> Error {
    Error::io(format!("cannot write the body of {url}"), e)
}
