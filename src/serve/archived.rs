//! The archived page itself, served from the archive and never fetched live:
//! a frame page around it, and the rewritten body. Scripts, frames, plugins,
//! `<base>` and `<meta http-equiv>` are removed, event-handler attributes
//! dropped, and every link or resource either points at its archived copy
//! (`/raw/{id}`) or is removed. The body goes out under a CSP that forbids
//! scripts and any fetch beyond the dashboard, into a frame sandboxed without
//! `allow-scripts`.

use super::render::{self, Nav};
use super::{PageError, PageResult, State, with_store};
use crate::store::{ArchivedSnapshot, Store};
use axum::extract::Path;
use axum::http::header;
use axum::response::IntoResponse;
use lol_html::html_content::ContentType;
use lol_html::{RewriteStrSettings, element, rewrite_str, text};
use maud::html;
use std::cell::RefCell;
use std::collections::HashMap;
use url::Url;

/// Attributes that load or navigate to a URL.
const URL_ATTRS: [&str; 9] = [
    "href",
    "src",
    "background",
    "poster",
    "action",
    "formaction",
    "data",
    "longdesc",
    "cite",
];

/// Elements removed with their content: they run code, embed other
/// documents, or change how the page is fetched or interpreted.
const REMOVED: &str = "script, iframe, frame, frameset, object, embed, applet, base, meta[http-equiv], portal, template";

/// Attributes removed outright: responsive image sets and preloading fetch by
/// themselves and cannot be rewritten one URL at a time.
const DROPPED_ATTRS: [&str; 4] = ["srcset", "imagesrcset", "ping", "integrity"];

/// CSS with every `url(…)` and `@import` removed: the archived style
/// applies, but nothing it references is loaded (`</style>` cannot occur inside a style element).
fn strip_css_fetches(css: &str) -> String {
    static URL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?i)url\s*\((?:[^()"']|"[^"]*"|'[^']*')*\)|@import[^;]*;?"#)
            .expect("static regex")
    });
    URL.replace_all(css, "none").into_owned()
}

/// Plain text is shown as text (decoded to UTF-8); it cannot run anything.
fn is_text(snap: &ArchivedSnapshot) -> bool {
    let ct = snap
        .content_type
        .as_deref()
        .unwrap_or("")
        .to_ascii_lowercase();
    ct.starts_with("text/plain")
}

fn is_html(snap: &ArchivedSnapshot) -> bool {
    let ct = snap
        .content_type
        .as_deref()
        .unwrap_or("")
        .to_ascii_lowercase();
    ct.contains("html")
        || (ct.is_empty()
            && crate::formats::sniff(&snap.body, None, None) == crate::formats::Format::Html)
}

/// `GET /archive/{id}`: the archived page in a sandboxed frame, with its provenance.
pub(crate) async fn frame(state: State, Path(id): Path<i64>) -> PageResult {
    let snap = with_store(&state.0, move |store| {
        let mut s = store
            .archived_snapshot(id)?
            .ok_or_else(|| PageError::NotFound(format!("没有快照 #{id} (no snapshot {id})")))?;
        let html = is_html(&s) || is_text(&s);
        s.body.clear();
        Ok((s, html))
    })
    .await?;
    let (snap, html_page) = snap;
    let body = html! {
        h1 { "存档页面 #" (snap.id) }
        table.kv {
            tr { th { "原网址" } td { (snap.url) } }
            @if snap.final_url != snap.url { tr { th { "最终网址" } td { (snap.final_url) } } }
            tr { th { "抓取时间" } td { (snap.fetched_at) } }
            tr { th { "HTTP" } td { (snap.status) " · " (snap.content_type.as_deref().unwrap_or("—")) @if snap.truncated { " · 已截断 (truncated)" } } }
        }
        p.muted { "以下内容来自存档，不联网加载；脚本已禁用，链接指向存档副本或已移除。" }
        @if html_page {
            iframe.archived sandbox="" referrerpolicy="no-referrer" src={"/raw/" (snap.id)} title="存档页面" {}
        } @else {
            p { "这不是网页（" (snap.content_type.as_deref().unwrap_or("未知类型")) "）。" a href={"/raw/" (snap.id)} { "下载存档文件" } }
        }
    };
    Ok(render::page("存档页面", Nav::None, body))
}

/// `GET /raw/{id}`: the archived bytes; HTML rewritten, everything else as a download or image.
pub(crate) async fn raw(state: State, Path(id): Path<i64>) -> PageResult {
    let (snap, rewritten) = with_store(&state.0, move |store| {
        let snap = store
            .archived_snapshot(id)?
            .ok_or_else(|| PageError::NotFound(format!("没有快照 #{id} (no snapshot {id})")))?;
        let rewritten = if is_html(&snap) {
            Some(rewrite(store, &snap)?)
        } else {
            None
        };
        Ok((snap, rewritten))
    })
    .await?;
    if let Some(html) = rewritten {
        let resp = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
        return Ok(render::with_headers(resp, render::ARCHIVE_CSP));
    }
    if is_text(&snap) {
        let text = crate::page::charset::decode(&snap.body, snap.content_type.as_deref()).text;
        let resp = ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response();
        return Ok(render::with_headers(resp, render::ARCHIVE_CSP));
    }
    let ct = snap
        .content_type
        .as_deref()
        .unwrap_or("application/octet-stream")
        .to_ascii_lowercase();
    // Images and stylesheets may be shown inline; SVG can carry script, so it is a download too.
    let inline = (ct.starts_with("image/") && !ct.contains("svg")) || ct.starts_with("text/css");
    let name = snap
        .final_url
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("snapshot");
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    let mut headers = vec![(
        header::CONTENT_TYPE,
        if inline {
            ct.clone()
        } else {
            "application/octet-stream".to_string()
        },
    )];
    if !inline {
        headers.push((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{id}-{name}\""),
        ));
    }
    let mut resp = snap.body.into_response();
    for (k, v) in headers {
        if let Ok(v) = v.parse() {
            resp.headers_mut().insert(k, v);
        }
    }
    Ok(render::with_headers(resp, render::ARCHIVE_CSP))
}

/// Rewrites an archived HTML page for display (see the module doc).
fn rewrite(store: &Store, snap: &ArchivedSnapshot) -> Result<String, PageError> {
    let text = crate::page::charset::decode(&snap.body, snap.content_type.as_deref()).text;
    let base = Url::parse(&snap.final_url)
        .or_else(|_| Url::parse(&snap.url))
        .ok();
    let resolve = |v: &str| -> Option<String> {
        let v = v.trim();
        if v.is_empty() || v.starts_with('#') {
            return None;
        }
        let u = match &base {
            Some(b) => b.join(v).ok()?,
            None => Url::parse(v).ok()?,
        };
        matches!(u.scheme(), "http" | "https").then(|| {
            let mut u = u;
            u.set_fragment(None);
            u.to_string()
        })
    };
    // Pass 1: which URLs does the page reference?
    let wanted = RefCell::new(Vec::new());
    let _ = rewrite_str(
        &text,
        RewriteStrSettings::new().append_element_content_handler(element!("*", |el| {
            for a in URL_ATTRS {
                if let Some(u) = el.get_attribute(a).as_deref().and_then(resolve) {
                    wanted.borrow_mut().push(u);
                }
            }
            Ok(())
        })),
    );
    let mut wanted = wanted.into_inner();
    wanted.sort();
    wanted.dedup();
    let archived: HashMap<String, i64> = store.snapshot_ids_for(&wanted)?.into_iter().collect();
    // Pass 2: rewrite.
    let css = RefCell::new(String::new());
    let out = rewrite_str(
        &text,
        RewriteStrSettings::new()
            .append_element_content_handler(text!("style", |t| {
                // A style sheet arrives in chunks: gather it, then write it back without fetches.
                css.borrow_mut().push_str(t.as_str());
                if t.last_in_text_node() {
                    let clean = strip_css_fetches(&css.borrow());
                    css.borrow_mut().clear();
                    t.replace(&clean, ContentType::Html);
                } else {
                    t.remove();
                }
                Ok(())
            }))
            .append_element_content_handler(element!(REMOVED, |el| {
                el.remove();
                Ok(())
            }))
            .append_element_content_handler(element!("link", |el| {
                let rel = el
                    .get_attribute("rel")
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if rel.split_whitespace().any(|r| r == "stylesheet") {
                    Ok(())
                } else {
                    el.remove();
                    Ok(())
                }
            }))
            .append_element_content_handler(element!("*", |el| {
                let names: Vec<String> = el.attributes().iter().map(|a| a.name()).collect();
                for n in names {
                    let lower = n.to_ascii_lowercase();
                    if lower.starts_with("on") || DROPPED_ATTRS.contains(&lower.as_str()) {
                        el.remove_attribute(&n);
                    } else if lower == "style" {
                        let v = el.get_attribute(&n).unwrap_or_default();
                        el.set_attribute(&n, &strip_css_fetches(&v))?;
                    }
                }
                for a in URL_ATTRS {
                    let Some(v) = el.get_attribute(a) else {
                        continue;
                    };
                    let target = resolve(&v).and_then(|u| archived.get(&u).copied());
                    match target {
                        Some(id) => el.set_attribute(a, &format!("/raw/{id}"))?,
                        None if v.trim().starts_with('#') && a == "href" => {}
                        None => {
                            el.remove_attribute(a);
                            if a == "href" && el.tag_name() == "a" {
                                el.set_attribute("title", &format!("未存档 (not archived): {v}"))?;
                            }
                        }
                    }
                }
                Ok(())
            })),
    )
    .map_err(|e| PageError::Internal(format!("存档页面无法改写 (cannot rewrite page): {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_keeps_its_rules_but_loses_every_fetch() {
        let css = r#"@import "http://x/a.css"; body { background: URL( "http://x/b.png" ) red; } p { background:url('x(1).png') }"#;
        let clean = strip_css_fetches(css);
        assert!(!clean.to_ascii_lowercase().contains("url"), "{clean}");
        assert!(!clean.contains("http://x"), "{clean}");
        assert!(clean.contains("red") && clean.contains("p {"), "{clean}");
    }
}
