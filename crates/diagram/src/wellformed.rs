//! A small XML well-formedness check, enough to hold the drawing to XML's
//! rules without a parser dependency.

use super::xml::is_xml_char;
use std::collections::BTreeMap;

/// An element of a parsed document, attributes and text unescaped.
#[derive(Debug)]
pub struct Element {
    pub name: String,
    pub attributes: BTreeMap<String, String>,
    pub text: String,
    pub parent: Option<usize>,
}

/// Parses `doc` as XML, failing on anything not well-formed: unbalanced or
/// mismatched tags, unquoted or repeated attributes, `<` or a bare `&` in
/// text, unknown entities, characters XML forbids, more than one root.
pub fn parse_xml(doc: &str) -> Result<Vec<Element>, String> {
    fn unescape(raw: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = raw;
        while let Some(at) = rest.find('&') {
            out.push_str(&rest[..at]);
            let end = rest[at..].find(';').ok_or(format!("bare & in {raw:?}"))?;
            let entity = &rest[at + 1..at + end];
            let c = match entity {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let code = if let Some(hex) = entity.strip_prefix("#x") {
                        u32::from_str_radix(hex, 16)
                    } else if let Some(decimal) = entity.strip_prefix('#') {
                        decimal.parse()
                    } else {
                        return Err(format!("unknown entity &{entity};"));
                    };
                    code.ok()
                        .and_then(char::from_u32)
                        .filter(|c| is_xml_char(*c))
                        .ok_or(format!("bad reference &{entity};"))?
                }
            };
            out.push(c);
            rest = &rest[at + end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
    if let Some(c) = doc.chars().find(|c| !is_xml_char(*c)) {
        return Err(format!("forbidden character {c:?}"));
    }
    let mut elements: Vec<Element> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut rest = doc;
    while !rest.is_empty() {
        if let Some(tag) = rest.strip_prefix("</") {
            let end = tag.find('>').ok_or("unclosed end tag")?;
            let name = &tag[..end];
            let top = open.pop().ok_or(format!("</{name}> closes nothing"))?;
            if elements[top].name != name {
                return Err(format!("</{name}> closes <{}>", elements[top].name));
            }
            rest = &tag[end + 1..];
        } else if let Some(tag) = rest.strip_prefix('<') {
            let name_end = tag
                .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
                .ok_or("unclosed tag")?;
            let name = &tag[..name_end];
            if !is_name(name) {
                return Err(format!("bad element name {name:?}"));
            }
            if open.is_empty() && !elements.is_empty() {
                return Err("more than one root element".into());
            }
            let mut attributes = BTreeMap::new();
            let mut after = tag[name_end..].trim_start();
            let self_closing = loop {
                if let Some(r) = after.strip_prefix("/>") {
                    after = r;
                    break true;
                }
                if let Some(r) = after.strip_prefix('>') {
                    after = r;
                    break false;
                }
                let equals = after.find('=').ok_or("attribute without a value")?;
                let attribute = &after[..equals];
                if !is_name(attribute) {
                    return Err(format!("bad attribute name {attribute:?}"));
                }
                let value = &after[equals + 1..];
                let quote = value.chars().next().filter(|q| *q == '"' || *q == '\'');
                let quote = quote.ok_or(format!("unquoted value of {attribute}"))?;
                let close = value[1..].find(quote).ok_or("unterminated value")?;
                let raw = &value[1..close + 1];
                if raw.contains('<') {
                    return Err(format!("< in the value of {attribute}"));
                }
                if attributes
                    .insert(attribute.to_string(), unescape(raw)?)
                    .is_some()
                {
                    return Err(format!("{attribute} given twice"));
                }
                let next = &value[close + 2..];
                if !(next.starts_with(char::is_whitespace) || next.starts_with(['/', '>'])) {
                    return Err(format!("nothing between attributes after {attribute}"));
                }
                after = next.trim_start();
            };
            elements.push(Element {
                name: name.to_string(),
                attributes,
                text: String::new(),
                parent: open.last().copied(),
            });
            if !self_closing {
                open.push(elements.len() - 1);
            }
            rest = after;
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = unescape(&rest[..end])?;
            match open.last() {
                Some(&current) => elements[current].text.push_str(&text),
                None if text.trim().is_empty() => {}
                None => return Err("text outside the root element".into()),
            }
            rest = &rest[end..];
        }
    }
    if let Some(&unclosed) = open.last() {
        return Err(format!("<{}> is never closed", elements[unclosed].name));
    }
    if elements.is_empty() {
        return Err("no element".into());
    }
    Ok(elements)
}

/// An element or attribute name: letters, digits and `-_:`, all the drawing's names use.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_:".contains(c))
}

mod tests {
    use super::*;

    #[test]
    fn the_well_formedness_check_rejects_broken_markup() {
        for broken in [
            "<svg><g></svg>",
            "<svg a=\"1\" a=\"2\"/>",
            "<svg>a & b</svg>",
            "<svg><title>x<y</title></svg>",
            "<svg a=\"<\"/>",
            "<svg/><svg/>",
            "<svg>\u{1}</svg>",
            "<svg>&bogus;</svg>",
        ] {
            assert!(parse_xml(broken).is_err(), "{broken:?} passed");
        }
        assert!(parse_xml("<svg a='1' b=\"&amp;&#10;\"><g/>text</svg>").is_ok());
    }
}
