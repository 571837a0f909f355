//! The HTML shell and the pages by address.
//!
//! There is no client-side router: every link between pages is a full page load, so the browser only ever hydrates
//! the page the server rendered, and [`Route::current`] reads it from the address on both sides.
//! leptos_router and leptos_meta cost the session page ~60 KB gzipped (docs/performance.md); the server keeps
//! leptos_meta for the `<title>` ([`page_title`]).

use crate::pages::{not_found::NotFound, session::SessionPage};
use leptos::prelude::*;

/// A page of Tandem, by its address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/`: create a session.
    Create,
    /// `/s/{id}?t=TOKEN`: the live session.
    Session { id: String, token: String },
    /// `/s/{id}/summary?t=TOKEN`: what happened.
    Summary { id: String, token: String },
    /// `/s/{id}/ready?t=HOST_TOKEN`: the new session's links (pages/ready.rs).
    Ready { id: String, token: String },
    /// `/w/{id}?t=TOKEN`: a workshop, for the facilitator, a participant or an observer (pages/workshop).
    Workshop { id: String, token: String },
    /// Anything else.
    NotFound,
}

impl Route {
    /// The page at `path` with the query string `query` (without its `?`).
    pub fn parse(path: &str, query: &str) -> Route {
        let token = || query_param(query, "t").unwrap_or_default();
        let is_id = |id: &str| !id.is_empty() && !id.contains('/');
        if path == "/" {
            return Route::Create;
        }
        if let Some(id) = path.strip_prefix("/w/").filter(|id| is_id(id)) {
            return Route::Workshop {
                id: id.to_string(),
                token: token(),
            };
        }
        let Some(rest) = path.strip_prefix("/s/") else {
            return Route::NotFound;
        };
        if is_id(rest) {
            return Route::Session {
                id: rest.to_string(),
                token: token(),
            };
        }
        if let Some(id) = rest.strip_suffix("/ready").filter(|id| is_id(id)) {
            return Route::Ready {
                id: id.to_string(),
                token: token(),
            };
        }
        match rest.strip_suffix("/summary") {
            Some(id) if is_id(id) => Route::Summary {
                id: id.to_string(),
                token: token(),
            },
            _ => Route::NotFound,
        }
    }

    /// The page being rendered: on the server, the request's address; in the browser, the window's.
    pub fn current() -> Route {
        current_route()
    }
}

#[cfg(feature = "ssr")]
fn current_route() -> Route {
    use_context::<http::request::Parts>()
        .map(|parts| Route::parse(parts.uri.path(), parts.uri.query().unwrap_or_default()))
        .unwrap_or(Route::NotFound)
}

#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
fn current_route() -> Route {
    let location = window().location();
    let path = location.pathname().unwrap_or_default();
    let search = location.search().unwrap_or_default();
    Route::parse(&path, search.strip_prefix('?').unwrap_or(&search))
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
fn current_route() -> Route {
    Route::NotFound
}

/// The value of the first `name=value` pair of a query string, decoded as a form (`+` is a space, `%XX` a byte);
/// `None` when absent or when its escapes do not decode to UTF-8. The relay reads links with it too.
/// (Names are compared as written: Tandem's own are plain ASCII.)
pub fn query_param(query: &str, name: &str) -> Option<String> {
    let value = query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))?;
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Shows a notice with a Reload button when the page's code fails for good: its JS or wasm did not load (a dropped
/// connection, a deploy in between), or the wasm stopped (a panic: the release build aborts on panic, which kills
/// the module). Without it the page would look ready and do nothing. Only errors from the code's loading or from
/// WebAssembly count, so that other scripts' errors (browser extensions) show nothing; the notice is appended at
/// the end of `<body>`, after everything hydration walks.
#[cfg(feature = "ssr")]
const LOAD_FAILED_SCRIPT: &str = r#"(function () {
  function failed(reason) {
    var text = String((reason && reason.message) || reason || "");
    // A failed fetch is fatal while the page is still loading its code. Once it has hydrated, a fetch fails only for
    // a part fetched when shown (components/split.rs), which offers "Try again" itself: the split loader may report
    // that failure as an unhandled rejection for a moment before it handles it.
    var hydrated = document.body && document.body.hasAttribute("data-hydrated");
    var fatal = (typeof WebAssembly !== "undefined" && reason instanceof WebAssembly.RuntimeError) ||
      /dynamically imported module|WebAssembly|wasm/i.test(text) || (!hydrated && /Failed to fetch/i.test(text));
    if (!fatal || document.getElementById("load-failed")) return;
    var box = document.createElement("div");
    box.id = "load-failed";
    box.className = "load-failed";
    box.setAttribute("role", "alert");
    box.innerHTML = "<span>This page stopped working: part of it did not load or ran into an error.</span> " +
      "<button type=\"button\" class=\"button button--primary\">Reload</button>";
    box.querySelector("button").onclick = function () { location.reload(); };
    document.body.appendChild(box);
  }
  addEventListener("error", function (e) { failed(e.error || e.message); });
  addEventListener("unhandledrejection", function (e) { failed(e.reason); });
})();"#;

/// The Content-Security-Policy of a page whose inline scripts (the load-failure notice above, Leptos' hydration
/// and resource scripts) carry `nonce`: scripts only from Tandem itself or with this response's nonce, wasm
/// compiled (`'wasm-unsafe-eval'`, nothing else evaluated), styles, images, fetches and sockets only from Tandem,
/// no plugins, no `<base>`, forms posting only to Tandem. It is sent in the page's `<meta http-equiv>`, where
/// `frame-ancestors` has no effect, so the server's header says that one.
#[cfg(feature = "ssr")]
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
    )
}

/// The document around the app, rendered on the server. Its Content-Security-Policy names this response's nonce
/// ([`content_security_policy`]) and is a `<meta http-equiv>` at the top of `<head>`, rendered with the scripts it
/// allows, so the two cannot part (a header set through `ResponseOptions` did not always reach the answer of a page
/// rendered whole). `frame-ancestors` has no effect in a meta tag: the server's header on every HTML answer forbids
/// framing (server `HTML_CSP`).
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use leptos_meta::MetaTags;
    let nonce = leptos::nonce::use_nonce();
    let policy = nonce.as_ref().map(|nonce| content_security_policy(nonce));
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta http-equiv="Content-Security-Policy" content=policy/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="description" content="Live peer-coaching sessions: timed phases, shared notes, feedback."/>
                <meta name="referrer" content="no-referrer"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" id="leptos" href="/pkg/tandem.css"/>
                <script nonce=nonce inner_html=LOAD_FAILED_SCRIPT></script>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// A split-out page's view constructor, given the session id and link token from the address (empty for the
/// create page).
pub type LazyPage = fn(String, String) -> AnyView;

/// The page at the current address. The create and summary pages are split into wasm files of their own (`cargo
/// leptos build --split`, docs/performance.md): in the browser, `lib.rs` fetches the one it needs before hydrating
/// and passes its view in as `lazy`; the session page, where people spend their time, is in the main bundle.
#[component]
pub fn App(#[prop(optional)] lazy: Option<LazyPage>) -> impl IntoView {
    #[cfg(feature = "ssr")]
    leptos_meta::provide_meta_context();
    // Tests and styles key off this: interactive controls work only once the page has hydrated.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    // The server renders every page itself.
    #[cfg(feature = "ssr")]
    let _ = lazy;
    match Route::current() {
        Route::Session { id, token } => view! { <SessionPage id token/> }.into_any(),
        Route::NotFound => view! { <NotFound/> }.into_any(),
        #[cfg(feature = "ssr")]
        Route::Create => view! { <crate::pages::create::CreatePage/> }.into_any(),
        #[cfg(feature = "ssr")]
        Route::Summary { id, token } => view! { <crate::pages::summary::SummaryPage id token/> }.into_any(),
        #[cfg(feature = "ssr")]
        Route::Ready { id, token } => view! { <crate::pages::ready::ReadyPage id token/> }.into_any(),
        #[cfg(feature = "ssr")]
        Route::Workshop { id, token } => view! { <crate::pages::workshop::WorkshopPage id token/> }.into_any(),
        #[cfg(not(feature = "ssr"))]
        Route::Create => lazy
            .map(|page| page(String::new(), String::new()))
            .unwrap_or_else(|| ().into_any()),
        #[cfg(not(feature = "ssr"))]
        Route::Summary { id, token } => lazy.map(|page| page(id, token)).unwrap_or_else(|| ().into_any()),
        #[cfg(not(feature = "ssr"))]
        Route::Ready { id, token } => lazy.map(|page| page(id, token)).unwrap_or_else(|| ().into_any()),
        #[cfg(not(feature = "ssr"))]
        Route::Workshop { id, token } => lazy.map(|page| page(id, token)).unwrap_or_else(|| ().into_any()),
    }
}

/// Sets the page's `<title>` to "TEXT · Tandem" ("Tandem" when empty). Call it while a page renders. The server,
/// which renders every page, writes it into the `<head>` (leptos_meta); the browser keeps it, so the browser's
/// build has no code for it. It adds nothing to the view, so both sides hydrate the same nodes.
pub fn page_title(text: &str) {
    #[cfg(feature = "ssr")]
    {
        let title = if text.is_empty() {
            "Tandem".to_string()
        } else {
            format!("{text} · Tandem")
        };
        // Title registers its text with the server's meta context when it is called; its view renders nothing.
        let _ = leptos_meta::Title(leptos_meta::TitleProps::builder().text(title).build());
    }
    #[cfg(not(feature = "ssr"))]
    let _ = text;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn session(id: &str, token: &str) -> Route {
        Route::Session {
            id: id.into(),
            token: token.into(),
        }
    }

    #[test]
    fn addresses_map_to_their_pages() {
        assert_eq!(Route::parse("/", ""), Route::Create);
        assert_eq!(Route::parse("/s/abc", "t=tok"), session("abc", "tok"));
        assert_eq!(Route::parse("/s/abc", ""), session("abc", ""));
        assert_eq!(Route::parse("/s/abc", "x=1&t=tok&t=other"), session("abc", "tok"));
        assert_eq!(
            Route::parse("/s/abc/summary", "t=tok"),
            Route::Summary {
                id: "abc".into(),
                token: "tok".into()
            }
        );
        assert_eq!(
            Route::parse("/w/abc", "t=tok"),
            Route::Workshop {
                id: "abc".into(),
                token: "tok".into()
            }
        );
        assert_eq!(
            Route::parse("/s/abc/ready", "t=tok"),
            Route::Ready {
                id: "abc".into(),
                token: "tok".into()
            }
        );
        for path in [
            "/s//ready",
            "/s/a/ready/x",
            "",
            "/s/",
            "/s",
            "/s//summary",
            "/s/a/b",
            "/s/a/summary/x",
            "/x",
            "/s/a/",
            "/index.html",
            "/w/",
            "/w/a/b",
        ] {
            assert_eq!(Route::parse(path, "t=tok"), Route::NotFound, "{path}");
        }
    }

    #[test]
    fn query_values_are_decoded_as_a_form() {
        assert_eq!(query_param("t=a%2Fb%20c+d%2B", "t").as_deref(), Some("a/b c d+"));
        assert_eq!(query_param("tt=1&t=2", "t").as_deref(), Some("2"));
        assert_eq!(query_param("t", "t"), None);
        assert_eq!(query_param("t=", "t").as_deref(), Some(""));
        // A lone or broken escape is kept as it is; escapes that are not UTF-8 are no value.
        assert_eq!(query_param("t=100%", "t").as_deref(), Some("100%"));
        assert_eq!(query_param("t=%zz", "t").as_deref(), Some("%zz"));
        assert_eq!(query_param("t=%ff", "t"), None);
    }

    proptest! {
        #[test]
        fn any_percent_encoded_value_decodes_to_itself(value in "\\PC{0,24}", other in "[a-z=]{0,8}") {
            let encoded: String = value
                .bytes()
                .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
                .collect();
            let query = format!("x{other}&t={encoded}&t=second");
            prop_assert_eq!(query_param(&query, "t"), Some(value));
        }
    }
}
