//! RFC 9421 HTTP Message Signatures: `Signature-Input` names the covered components and the
//! signature's parameters, `Signature` carries the signature, both structured dictionaries
//! (RFC 9651) read with sfv. One signature per request; its signature base is built here from
//! the parsed components, each read from a single-valued header or from the request itself.

use sfv::visitor::{
    DictionaryVisitor, EntryVisitor, InnerListVisitor, ItemVisitor, ParameterVisitor,
};
use sfv::{BareItem, BareItemFromInput, KeyRef, ListEntry};

use super::{
    Algorithm, Receiver, Request, Scheme, SignatureError, Signed, check_time, key_url, single,
    unix_time,
};

pub fn check(request: &Request, receiver: &Receiver, host: &str) -> Result<Signed, SignatureError> {
    let input = single(request.headers, "signature-input")?
        .ok_or_else(|| SignatureError::new("the request has no Signature-Input"))?;
    let signature = single(request.headers, "signature")?
        .ok_or_else(|| SignatureError::new("the request has Signature-Input but no Signature"))?;
    refuse_repeated_keys(input, "Signature-Input")?;
    refuse_repeated_keys(signature, "Signature")?;
    let inputs: sfv::Dictionary = sfv::Parser::new(input).parse().map_err(|e| {
        SignatureError::new(format!("the Signature-Input header is malformed: {e}"))
    })?;
    let signatures: sfv::Dictionary = sfv::Parser::new(signature)
        .parse()
        .map_err(|e| SignatureError::new(format!("the Signature header is malformed: {e}")))?;
    if inputs.len() != 1 || signatures.len() != 1 {
        return Err(SignatureError::new(
            "the request must carry exactly one signature",
        ));
    }
    let (label, ListEntry::InnerList(components)) = inputs
        .first()
        .ok_or_else(|| SignatureError::new("the Signature-Input header is empty"))?
    else {
        return Err(SignatureError::new(
            "a Signature-Input member is not a list of components",
        ));
    };
    let signature_bytes = match signatures.get(label.as_str()) {
        Some(ListEntry::Item(item)) => item.bare_item.as_byte_sequence(),
        _ => None,
    }
    .ok_or_else(|| {
        SignatureError::new(format!(
            "the Signature header has no byte sequence labelled {}",
            label.as_str()
        ))
    })?
    .to_vec();

    let mut key_id = None;
    let mut algorithm = Algorithm::FromKey;
    let mut created = None;
    for (name, value) in &components.params {
        match (name.as_str(), value) {
            ("keyid", BareItem::String(s)) => key_id = Some(s.as_str().to_owned()),
            ("alg", BareItem::String(s)) => {
                algorithm = match s.as_str() {
                    "rsa-v1_5-sha256" => Algorithm::RsaSha256,
                    "ed25519" => Algorithm::Ed25519,
                    other => {
                        return Err(SignatureError::new(format!(
                            "the signature algorithm {other} is not accepted"
                        )));
                    }
                }
            }
            ("created", BareItem::Integer(at)) => created = Some(i64::from(*at)),
            ("expires", BareItem::Integer(at)) => {
                if unix_time(i64::from(*at))? < receiver.now {
                    return Err(SignatureError::new("the signature has expired"));
                }
            }
            ("nonce" | "tag", BareItem::String(_)) => {}
            (other, _) => {
                return Err(SignatureError::new(format!(
                    "the signature parameter {other} is unknown or of the wrong type"
                )));
            }
        }
    }
    let key_id = key_id.ok_or_else(|| SignatureError::new("the signature has no keyid"))?;
    let created =
        created.ok_or_else(|| SignatureError::new("the signature has no created time"))?;
    check_time(
        "signature's created time",
        unix_time(created)?,
        receiver.now,
    )?;

    let mut names: Vec<&str> = Vec::with_capacity(components.items.len());
    for item in &components.items {
        let BareItem::String(name) = &item.bare_item else {
            return Err(SignatureError::new("a covered component is not a string"));
        };
        if !item.params.is_empty() {
            return Err(SignatureError::new(format!(
                "the component {} has parameters, which are not accepted",
                name.as_str()
            )));
        }
        let name = name.as_str();
        if names.contains(&name) {
            return Err(SignatureError::new(format!(
                "the signature covers {name} twice"
            )));
        }
        names.push(name);
    }
    let covers = |name: &str| names.contains(&name);
    if !(covers("@method") && covers("@target-uri")) {
        return Err(SignatureError::new(
            "the signature must cover @method and @target-uri",
        ));
    }
    if !(covers("host") || covers("@authority")) {
        return Err(SignatureError::new(
            "the signature must cover host or @authority",
        ));
    }
    if !covers("date") {
        return Err(SignatureError::new("the signature must cover date"));
    }
    if request.body.is_some() && !covers("content-digest") {
        return Err(SignatureError::new(
            "the signature must cover content-digest",
        ));
    }

    let path_and_query = request
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let mut base = String::with_capacity(512);
    for name in &names {
        let value: String = match *name {
            "@method" => request.method.as_str().to_owned(),
            "@target-uri" => format!("{}://{}{}", receiver.scheme, host, path_and_query),
            "@authority" => host.to_ascii_lowercase(),
            "@scheme" => receiver.scheme.to_owned(),
            "@request-target" => path_and_query.to_owned(),
            "@path" => request.uri.path().to_owned(),
            "@query" => format!("?{}", request.uri.query().unwrap_or("")),
            derived if derived.starts_with('@') => {
                return Err(SignatureError::new(format!(
                    "the component {derived} is not supported"
                )));
            }
            header => match single(request.headers, header)? {
                Some(value) => value.trim().to_owned(),
                None if header == "host" => host.to_owned(),
                None => {
                    return Err(SignatureError::new(format!(
                        "the signature covers {header}, which the request does not have"
                    )));
                }
            },
        };
        base.push('"');
        base.push_str(name);
        base.push_str("\": ");
        base.push_str(&value);
        base.push('\n');
    }
    let params = serialize_params(label.as_str(), &inputs)?;
    base.push_str("\"@signature-params\": ");
    base.push_str(&params);
    Ok(Signed {
        scheme: Scheme::Rfc9421,
        key_id: key_url(&key_id)?,
        algorithm,
        message: base.into_bytes(),
        signature: signature_bytes,
    })
}

/// The signature's parameters as the base's last line carries them: the serialisation of the
/// `Signature-Input` member without its label.
fn serialize_params(label: &str, inputs: &sfv::Dictionary) -> Result<String, SignatureError> {
    let whole = sfv::FieldType::serialize(inputs)
        .ok_or_else(|| SignatureError::new("the Signature-Input header is empty"))?;
    whole
        .strip_prefix(label)
        .and_then(|rest| rest.strip_prefix('='))
        .map(str::to_owned)
        .ok_or_else(|| SignatureError::new("the Signature-Input header cannot be serialised"))
}

/// Refuses a structured dictionary in which a key or a parameter appears twice (RFC 9651 keeps
/// the last; a signature check must not read one copy while someone else reads another).
pub fn refuse_repeated_keys(value: &str, header: &str) -> Result<(), SignatureError> {
    sfv::Parser::new(value)
        .parse_dictionary_with_visitor(Distinct::default())
        .map_err(|e| SignatureError::new(format!("the {header} header is refused: {e}")))
}

/// A visitor that fails on a repeated key in any one scope: dictionary members, or the
/// parameters of one item or inner list.
#[derive(Default)]
struct Distinct<'de> {
    seen: Vec<&'de str>,
}

#[derive(Debug)]
struct Repeated(String);

impl std::fmt::Display for Repeated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is repeated", self.0)
    }
}

impl std::error::Error for Repeated {}

impl<'de> Distinct<'de> {
    fn see(&mut self, key: &'de KeyRef) -> Result<(), Repeated> {
        let key = key.as_str();
        if self.seen.contains(&key) {
            return Err(Repeated(key.to_owned()));
        }
        self.seen.push(key);
        Ok(())
    }
}

impl<'de> DictionaryVisitor<'de> for Distinct<'de> {
    type Out = ();
    type Error = Repeated;

    fn entry(&mut self, key: &'de KeyRef) -> Result<impl EntryVisitor<'de>, Self::Error> {
        self.see(key)?;
        Ok(Distinct::default())
    }

    fn finish(self) -> Result<(), Repeated> {
        Ok(())
    }
}

impl<'de> EntryVisitor<'de> for Distinct<'de> {
    type Error = Repeated;

    fn item(self) -> Result<impl ItemVisitor<'de>, Self::Error> {
        Ok(self)
    }

    fn inner_list(self) -> Result<impl InnerListVisitor<'de>, Self::Error> {
        Ok(self)
    }
}

impl<'de> InnerListVisitor<'de> for Distinct<'de> {
    type Error = Repeated;

    fn item(&mut self) -> Result<impl ItemVisitor<'de>, Self::Error> {
        Ok(Distinct::default())
    }

    fn finish(self) -> Result<impl ParameterVisitor<'de>, Self::Error> {
        Ok(Distinct::default())
    }
}

impl<'de> ItemVisitor<'de> for Distinct<'de> {
    type Out = ();
    type Error = Repeated;

    fn bare_item(
        self,
        _bare_item: BareItemFromInput<'de>,
    ) -> Result<impl ParameterVisitor<'de, Out = ()>, Self::Error> {
        Ok(Distinct::default())
    }
}

impl<'de> ParameterVisitor<'de> for Distinct<'de> {
    type Out = ();
    type Error = Repeated;

    fn parameter(
        &mut self,
        key: &'de KeyRef,
        _value: BareItemFromInput<'de>,
    ) -> Result<(), Self::Error> {
        self.see(key)
    }

    fn finish(self) -> Result<(), Repeated> {
        Ok(())
    }
}
