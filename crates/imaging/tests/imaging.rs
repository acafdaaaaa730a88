//! The image work on bytes: validation verdicts, renditions, and the hostile corpus.

mod hostile;
mod renditions;
mod validate;
