//! A quoted string of an intrinsic call, or a States.Format template, in pieces:
//! text and `{}` placeholders, so that escaped braces stay text.

/// A piece of a quoted string or template.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Piece {
    Text(String),
    /// An unescaped `{}`: a placeholder of States.Format, plain `{}` anywhere else.
    Placeholder,
}

/// The string the pieces were read from, with escaped braces unescaped.
pub(super) fn joined(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|piece| match piece {
            Piece::Text(text) => text.as_str(),
            Piece::Placeholder => "{}",
        })
        .collect()
}

/// How many `{}` placeholders the pieces hold.
pub(super) fn placeholders(pieces: &[Piece]) -> usize {
    pieces
        .iter()
        .filter(|piece| matches!(piece, Piece::Placeholder))
        .count()
}

/// The pieces of a template that came from data: every `{}` is a placeholder.
pub(super) fn pieces_of(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    for (i, part) in text.split("{}").enumerate() {
        if i > 0 {
            pieces.push(Piece::Placeholder);
        }
        if !part.is_empty() {
            pieces.push(Piece::Text(part.to_string()));
        }
    }
    pieces
}
