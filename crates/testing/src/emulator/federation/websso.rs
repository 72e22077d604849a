//! WebSSO: the provider's login page at Keystone's `…/websso?origin=…`, and Keystone's answer
//! to a login, a page that posts the unscoped token to a trusted dashboard.

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderValue, Response, StatusCode};

use super::provider::{html, issue_provider_token};
use super::{issue_federated, not_found};
use crate::emulator::api::form_param;
use crate::emulator::response::error;
use crate::emulator::{lock, Shared, S};

/// The `origin` query parameter of a WebSSO request.
fn websso_origin(query: Option<&str>) -> Option<String> {
    query
        .and_then(|q| form_param(q.as_bytes(), "origin"))
        .filter(|o| !o.is_empty())
}

/// Text for an HTML attribute or element.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

fn websso_known(s: &Shared, idp: &str, protocol: &str) -> Option<Response<Body>> {
    let st = lock(&s.state);
    match st.idp(idp) {
        None => Some(not_found(
            s,
            &format!("Could not find Identity Provider: {idp}."),
        )),
        Some(rec) if rec.protocol != protocol => Some(not_found(
            s,
            &format!("Could not find federated protocol {protocol} for Identity Provider: {idp}."),
        )),
        Some(_) => None,
    }
}

/// `GET …/websso?origin=…`: the provider's login page.
pub(crate) async fn websso_login_page(
    AxState(s): S,
    Path((idp, protocol)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response<Body> {
    if let Some(r) = websso_known(&s, &idp, &protocol) {
        return r;
    }
    // The form posts back to this very URL, query included.
    let action = match q.as_deref() {
        Some(q) => format!("?{q}"),
        None => String::new(),
    };
    html(
        StatusCode::OK,
        &format!(
            "<form method=\"post\" action=\"{}\"><label>User <input name=\"username\"></label> \
             <label>Password <input name=\"password\" type=\"password\"></label> \
             <button>Log in</button></form>",
            escape_html(&action)
        ),
    )
}

/// `POST …/websso?origin=…` (form `username`, `password`): log in at the provider, then
/// Keystone's WebSSO answer.
pub(crate) async fn websso_login(
    AxState(s): S,
    Path((idp, protocol)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response<Body> {
    if let Some(r) = websso_known(&s, &idp, &protocol) {
        return r;
    }
    let bearer = {
        let mut st = lock(&s.state);
        let user_id = match (form_param(&body, "username"), form_param(&body, "password")) {
            (Some(name), Some(password)) => st.idp(&idp).and_then(|rec| {
                rec.users
                    .iter()
                    .find(|(u, _)| {
                        u.name == name && u.password.as_deref() == Some(password.as_str())
                    })
                    .map(|(_, id)| id.clone())
            }),
            _ => None,
        };
        let Some(user_id) = user_id else {
            return html(StatusCode::UNAUTHORIZED, "Wrong user name or password.");
        };
        issue_provider_token(&mut st, &idp, Some(user_id)).0
    };
    // Keystone (keystone/api/auth.py): the origin must be a trusted dashboard.
    let Some(origin) = websso_origin(q.as_deref()) else {
        return error(
            &s,
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "Request must have an origin query parameter",
        );
    };
    if !s.config.trusted_dashboards.iter().any(|d| d == &origin) {
        return error(
            &s,
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            &format!("{origin} is not a trusted dashboard host"),
        );
    }
    let issued = issue_federated(
        s.clone(),
        &idp,
        &protocol,
        ("authorization", format!("Bearer {bearer}")),
    )
    .await;
    if issued.status() != StatusCode::CREATED {
        return issued;
    }
    let Some(token) = issued
        .headers()
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return error(
            &s,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "no token was issued",
        );
    };
    let page = format!(
        "<!DOCTYPE html>\n<html><head><title>Keystone WebSSO redirect</title></head><body>\n\
         <form id=\"sso\" name=\"sso\" action=\"{}\" method=\"post\">Please wait...\n\
         <input type=\"hidden\" name=\"token\" id=\"token\" value=\"{}\"/>\n\
         <noscript><input type=\"submit\" value=\"Continue\"/></noscript></form>\n\
         <script>window.onload = function() {{ document.forms['sso'].submit(); }}</script>\n\
         </body></html>\n",
        escape_html(&origin),
        escape_html(&token)
    );
    let mut r = Response::new(Body::from(page));
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}
