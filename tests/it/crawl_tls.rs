//! Government sites often have broken certificates: verified by default, and
//! tolerated only for the hosts listed in `scope.tolerate_invalid_tls_hosts`.
//! The server is a real HTTPS server on 127.0.0.1 with a self-signed certificate.

use crate::common::{count, test_config, write_seeds};
use nianbao::crawl::{self, CrawlOptions};
use nianbao::store::Store;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

const PAGE: &str = "<html><head><meta charset=\"utf-8\"><title>某某局2023年政府信息公开工作年度报告</title></head><body><h1>某某局2023年政府信息公开工作年度报告</h1><p>一、总体情况</p><p>二、主动公开政府信息情况</p></body></html>";

/// Serves `PAGE` for any path (404 for robots.txt) over TLS with a self-signed certificate.
async fn self_signed_server() -> u16 {
    nianbao::crawl::fetch::install_tls_provider();
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = key.cert.der().clone();
    let private = rustls::pki_types::PrivateKeyDer::Pkcs8(key.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert], private)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that rejects the certificate aborts the handshake: nothing to serve.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let robots = request.starts_with(b"GET /robots.txt");
                let (status, body) = if robots {
                    ("404 Not Found", "")
                } else {
                    ("200 OK", PAGE)
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

async fn crawl(extra_config: &str, port: u16) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::common::load_config(&test_config(dir.path(), 50.0, 1, extra_config));
    let seeds_dir = write_seeds(
        dir.path(),
        &format!(
            "agency,region,level,url,aliases\n某某局,,,https://127.0.0.1:{port}/xxgk/ndbg/r2023.html,\n"
        ),
    );
    let rows = nianbao::seeds::load(&[seeds_dir]).unwrap();
    let (_tx, rx) = watch::channel(false);
    let store = Store::open(&dir.path().join("archive.db")).unwrap();
    let (_, store) = crawl::run(&config, store, &rows, &CrawlOptions::default(), rx)
        .await
        .unwrap();
    (dir, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_certificate_fails_unless_the_host_is_tolerated() {
    let port = self_signed_server().await;

    let (_dir, strict) = crawl("", port).await;
    assert_eq!(count(&strict, "SELECT COUNT(*) FROM snapshots"), 0);
    assert_eq!(
        count(
            &strict,
            "SELECT COUNT(*) FROM frontier WHERE state = 'failed' AND reason LIKE 'tls%'"
        ),
        1,
        "the certificate error is recorded as such"
    );
    assert!(
        count(
            &strict,
            "SELECT COUNT(*) FROM fetches WHERE error_kind = 'tls'"
        ) >= 1
    );

    let (_dir2, tolerant) = crawl(
        "[scope]\ntolerate_invalid_tls_hosts = [\"127.0.0.1\"]\n",
        port,
    )
    .await;
    assert_eq!(
        count(
            &tolerant,
            "SELECT COUNT(*) FROM frontier WHERE state = 'done'"
        ),
        1
    );
    assert_eq!(
        count(
            &tolerant,
            "SELECT COUNT(*) FROM page_meta WHERE kind = 'report' AND report_year = 2023"
        ),
        1
    );
}
