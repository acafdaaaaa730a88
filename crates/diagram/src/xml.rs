//! Text made safe for XML. State names come from the definition and errors
//! from workers; either may hold markup, quotes or control characters.

use std::fmt;

/// `text` for an element's content: markup escaped, line breaks kept.
pub fn text(text: &str) -> Escaped<'_> {
    Escaped {
        text,
        in_attribute: false,
    }
}

/// `text` for a quoted attribute value: also line breaks and tabs as
/// references, since a parser would turn them into spaces.
pub fn attribute(text: &str) -> Escaped<'_> {
    Escaped {
        text,
        in_attribute: true,
    }
}

pub struct Escaped<'a> {
    text: &'a str,
    in_attribute: bool,
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut clean_from = 0;
        for (at, c) in self.text.char_indices() {
            let replacement = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&apos;",
                '\n' if self.in_attribute => "&#10;",
                '\r' => "&#13;",
                '\t' if self.in_attribute => "&#9;",
                // Not allowed in XML 1.0 at all, not even as a reference.
                c if !is_xml_char(c) => "\u{FFFD}",
                _ => continue,
            };
            out.write_str(&self.text[clean_from..at])?;
            out.write_str(replacement)?;
            clean_from = at + c.len_utf8();
        }
        out.write_str(&self.text[clean_from..])
    }
}

pub fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r'
        | '\u{20}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_control_characters() {
        let hostile = "a<b>&\"c'\n\u{0}\u{1b}é";
        assert_eq!(
            text(hostile).to_string(),
            "a&lt;b&gt;&amp;&quot;c&apos;\n\u{FFFD}\u{FFFD}é"
        );
        assert_eq!(
            attribute(hostile).to_string(),
            "a&lt;b&gt;&amp;&quot;c&apos;&#10;\u{FFFD}\u{FFFD}é"
        );
    }
}
