//! The SOAP/ECP messages: the SP's PAOS request, the IdP's response and its SAML status, and
//! the SP's RelayState spliced into the IdP's header.

use super::SamlError;
use keystoneauth_core::{Error, Result};
use roxmltree::{Document, Node};

use super::{NS_ECP, NS_PAOS, NS_SAMLP, NS_SOAP, STATUS_SUCCESS};
use crate::xml::{child, escape, is, parse_bounded};

pub(super) fn parse<'a>(text: &'a str, who: &str) -> Result<Document<'a>> {
    parse_bounded(text).map_err(|e| {
        Error::InvalidResponse(format!("SAML2: Error parsing XML returned from {who}: {e}"))
    })
}

pub(super) fn envelope<'a, 'i>(doc: &'a Document<'i>, who: &str) -> Result<Node<'a, 'i>> {
    let root = doc.root_element();
    if !is(&root, NS_SOAP, "Envelope") {
        return Err(Error::InvalidResponse(format!(
            "SAML2: {who} did not answer with a SOAP envelope"
        )));
    }
    Ok(root)
}

/// What the SP asked for.
#[derive(Debug)]
pub(super) struct SpRequest {
    pub(super) consumer_url: String,
    pub(super) relay_state: Option<String>,
    pub(super) envelope_without_header: String,
}

pub(super) fn parse_sp_request(text: &str) -> Result<SpRequest> {
    let who = "Service Provider";
    let doc = parse(text, who)?;
    let env = envelope(&doc, who)?;
    let header = child(env, NS_SOAP, "Header").ok_or_else(|| {
        Error::InvalidResponse("SAML2: Service Provider request has no SOAP Header".into())
    })?;
    let urls: Vec<&str> = header
        .children()
        .filter(|c| is(c, NS_PAOS, "Request"))
        .filter_map(|c| c.attribute("responseConsumerURL"))
        .collect();
    let [consumer_url] = urls.as_slice() else {
        return Err(Error::InvalidResponse(format!(
            "SAML2: Service Provider request has {} paos:Request responseConsumerURL (want 1)",
            urls.len()
        )));
    };
    let relay_state = doc
        .descendants()
        .find(|n| is(n, NS_ECP, "RelayState"))
        .map(relay_state_xml);
    let range = header.range();
    let envelope_without_header = format!("{}{}", &text[..range.start], &text[range.end..]);
    Ok(SpRequest {
        consumer_url: (*consumer_url).to_owned(),
        relay_state,
        envelope_without_header,
    })
}

/// What the IdP answered.
#[derive(Debug)]
pub(super) struct IdpResponse {
    pub(super) consumer_url: String,
    /// The SAML status when it is not Success.
    pub(super) failure: Option<String>,
}

pub(super) fn parse_idp_response(text: &str) -> Result<IdpResponse> {
    let who = "Identity Provider";
    let doc = parse(text, who)?;
    let env = envelope(&doc, who)?;
    let body = child(env, NS_SOAP, "Body");
    if let Some(fault) = body.and_then(|b| child(b, NS_SOAP, "Fault")) {
        let text = |name: &str| {
            fault
                .children()
                .find(|c| c.is_element() && c.tag_name().name() == name)
                .and_then(|c| c.text())
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        return Err(SamlError::error(format!(
            "the identity provider answered with a SOAP fault: {} {}",
            text("faultcode"),
            text("faultstring")
        )));
    }
    let failure = match body.and_then(|b| child(b, NS_SAMLP, "Response")) {
        Some(resp) => saml_failure(resp),
        None => {
            return Err(Error::InvalidResponse(
                "SAML2: Identity Provider response has no samlp:Response".into(),
            ))
        }
    };
    let consumer_url = child(env, NS_SOAP, "Header")
        .and_then(|h| child(h, NS_ECP, "Response"))
        .and_then(|r| r.attribute("AssertionConsumerServiceURL"));
    let consumer_url = match (consumer_url, &failure) {
        (Some(u), _) => u.to_owned(),
        // A refusal matters more than a missing header.
        (None, Some(_)) => String::new(),
        (None, None) => {
            return Err(Error::InvalidResponse(
                "SAML2: Identity Provider response has no ecp:Response \
                 AssertionConsumerServiceURL"
                    .into(),
            ))
        }
    };
    Ok(IdpResponse {
        consumer_url,
        failure,
    })
}

/// `None` for Success, else "top-level/second-level: message".
pub(super) fn saml_failure(response: Node<'_, '_>) -> Option<String> {
    let status = child(response, NS_SAMLP, "Status");
    let code = status.and_then(|s| child(s, NS_SAMLP, "StatusCode"));
    let value = code.and_then(|c| c.attribute("Value")).unwrap_or("");
    if value == STATUS_SUCCESS {
        return None;
    }
    let short = |v: &str| v.rsplit(':').next().unwrap_or(v).to_owned();
    let mut out = if value.is_empty() {
        "no status".to_owned()
    } else {
        short(value)
    };
    if let Some(sub) = code
        .and_then(|c| child(c, NS_SAMLP, "StatusCode"))
        .and_then(|c| c.attribute("Value"))
    {
        out.push('/');
        out.push_str(&short(sub));
    }
    if let Some(msg) = status
        .and_then(|s| child(s, NS_SAMLP, "StatusMessage"))
        .and_then(|m| m.text())
    {
        out.push_str(": ");
        out.push_str(msg.trim());
    }
    Some(out)
}

/// The SP's RelayState re-serialised with its own namespace declarations, so it can be
/// placed in the IdP's envelope whatever prefixes that one uses.
pub(super) fn relay_state_xml(node: Node<'_, '_>) -> String {
    let mut s = format!("<ecp:RelayState xmlns:ecp=\"{NS_ECP}\"");
    for (i, a) in node.attributes().enumerate() {
        match a.namespace() {
            Some(ns) => s.push_str(&format!(
                " xmlns:a{i}=\"{}\" a{i}:{}=\"{}\"",
                escape(ns, true),
                a.name(),
                escape(a.value(), true)
            )),
            None => s.push_str(&format!(" {}=\"{}\"", a.name(), escape(a.value(), true))),
        }
    }
    let text: String = node
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    s.push('>');
    s.push_str(&escape(&text, false));
    s.push_str("</ecp:RelayState>");
    s
}

/// Replace the IdP header's `ecp:Response` with the RelayState (or put it first).
pub(super) fn insert_relay_state(idp_text: &str, relay: &str) -> Result<String> {
    let doc = parse(idp_text, "Identity Provider")?;
    let env = envelope(&doc, "Identity Provider")?;
    let header = child(env, NS_SOAP, "Header").ok_or_else(|| {
        Error::InvalidResponse("SAML2: Identity Provider response is missing a SOAP Header".into())
    })?;
    let splice = |at: std::ops::Range<usize>| {
        format!("{}{relay}{}", &idp_text[..at.start], &idp_text[at.end..])
    };
    if let Some(resp) = child(header, NS_ECP, "Response") {
        return Ok(splice(resp.range()));
    }
    if let Some(first) = header.first_child() {
        let at = first.range().start;
        return Ok(splice(at..at));
    }
    // An empty header: `<S:Header/>` or `<S:Header></S:Header>`.
    let range = header.range();
    let tag = &idp_text[range.clone()];
    if let Some(open) = tag.strip_suffix("/>") {
        let qname: String = open
            .trim_start_matches('<')
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        let replaced = format!("{}>{relay}</{qname}>", open.trim_end());
        return Ok(format!(
            "{}{replaced}{}",
            &idp_text[..range.start],
            &idp_text[range.end..]
        ));
    }
    match tag.rfind("</") {
        Some(i) => {
            let at = range.start + i;
            Ok(splice(at..at))
        }
        None => Err(Error::InvalidResponse(
            "SAML2: cannot place the RelayState in the Identity Provider response".into(),
        )),
    }
}
