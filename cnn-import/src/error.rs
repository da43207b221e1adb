//! What can go wrong, said as the user needs it: the node (its operator, name
//! and inputs' shapes) and why it has no `cnn!` form.

use std::fmt;

/// Why an import failed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a well-formed ONNX model.
    Malformed {
        /// What is wrong with them.
        message: String,
    },
    /// The model is well formed, but a node has no `cnn!` form.
    Node {
        /// The node's operator (`Resize`).
        op: String,
        /// The node's name in the graph (may be empty).
        name: String,
        /// Its inputs: each tensor's name and, where known, its shape.
        inputs: Vec<(String, Option<Vec<i64>>)>,
        /// Why it cannot be imported.
        why: String,
    },
    /// The model as a whole has no `cnn!` form (no input, two inputs, …).
    Graph {
        /// Why.
        why: String,
    },
    /// The generated network did not pass `cnn!`'s own checks: a bug in
    /// the importer, reported with the macro's message.
    Check {
        /// The macro's messages.
        message: String,
    },
}

impl Error {
    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Error::Malformed {
            message: message.into(),
        }
    }

    pub(crate) fn graph(why: impl Into<String>) -> Self {
        Error::Graph { why: why.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Malformed { message } => write!(f, "not a valid ONNX model: {message}"),
            Error::Node {
                op,
                name,
                inputs,
                why,
            } => {
                write!(f, "cannot import `{op}` node")?;
                if !name.is_empty() {
                    write!(f, " `{name}`")?;
                }
                write!(f, " (inputs:")?;
                for (i, (input, shape)) in inputs.iter().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    match shape {
                        Some(shape) => write!(f, "{sep}`{input}` {shape:?}")?,
                        None => write!(f, "{sep}`{input}`")?,
                    }
                }
                if inputs.is_empty() {
                    write!(f, " none")?;
                }
                write!(f, "): {why}")
            }
            Error::Graph { why } => write!(f, "cannot import the graph: {why}"),
            Error::Check { message } => {
                write!(
                    f,
                    "the generated network fails `cnn!`'s checks (an importer bug, please report it):\n{message}"
                )
            }
        }
    }
}

impl std::error::Error for Error {}
