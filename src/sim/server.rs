//! The listener: routes, and an accept loop that knows each connection's peer address
//! (for the IP whitelist) and can close a connection without answering (fault injection).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{Response, StatusCode};
use axum::routing::{any, get};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use super::center::Center;
use super::http::{ConnAbort, Flow, Incoming, RequestClock, finish, json_response, serve_call};
use super::{admin, oauth};
use crate::protocol::{Api, ApiId};

pub fn router(center: Arc<Center>) -> Router {
    let mut r: Router<Arc<Center>> = Router::new();
    for api in Api::all().filter(|a| a.path.starts_with("/v2.0/")) {
        let id = api.id;
        r = r.route(api.path, any(move |State(c): State<Arc<Center>>, req| serve_call(c, id, req)));
    }
    for id in [ApiId::OauthAuthorize, ApiId::OauthAuthorizeAccount] {
        r = r.route(id.api().path, any(move |State(c): State<Arc<Center>>, req| oauth::authorize(c, id, req)));
    }
    r.route(ApiId::OauthToken.api().path, any(|State(c): State<Arc<Center>>, req| oauth::token(c, req)))
        .route(ApiId::OauthRevoke.api().path, any(|State(c): State<Arc<Center>>, req| oauth::revoke(c, req)))
        .route("/openapi.json", get(|| async { axum::Json(super::openapi::openapi_document()) }))
        .merge(admin::router())
        .fallback(unknown_path)
        .with_state(center)
}

/// Unknown routes get a 404 (the center's gateway answers no business code for them).
async fn unknown_path(State(center): State<Arc<Center>>, req: axum::extract::Request) -> Response<Body> {
    let inc = Incoming::from_request(req, center.config.max_body_bytes).await;
    let body = serde_json::json!({ "error": format!("no API at {} {}", inc.method, inc.path) });
    let resp = json_response(StatusCode::NOT_FOUND, body.to_string().into_bytes());
    finish(&center, None, &inc, Flow::Raw(resp, None)).await
}

/// How long a TLS handshake may take before the connection is closed.
const TLS_HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` turns true, over TLS when `tls` is given.
/// A request (headers and body) must arrive within `request_timeout`; slower peers are cut off.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
    request_timeout: std::time::Duration,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let shutdown = shutdown.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => serve_connection(stream, peer, router, shutdown, request_timeout).await,
                Some(acceptor) => match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(tls_stream)) => serve_connection(tls_stream, peer, router, shutdown, request_timeout).await,
                    Ok(Err(e)) => tracing::debug!("TLS handshake with {peer} failed: {e}"),
                    Err(_) => tracing::debug!("TLS handshake with {peer} timed out"),
                },
            }
        });
    }
}

/// Serves one connection (plain or TLS) until it ends, a fault aborts it, or shutdown.
async fn serve_connection<IO>(
    io: IO,
    peer: SocketAddr,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
    request_timeout: std::time::Duration,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let abort = ConnAbort(Default::default(), Arc::new(RequestClock::new(request_timeout)));
    let conn_abort = abort.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req.extensions_mut().insert(abort.clone());
        let answered = router.clone().oneshot(req.map(Body::new));
        let clock = abort.1.clone();
        async move {
            let resp = answered.await;
            clock.ready();
            resp
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(request_timeout)
        .serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = conn_abort.0.notified() => {}
        _ = shutdown.changed() => {}
    }
}
