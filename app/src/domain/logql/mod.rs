//! LogQL: parsing, validation and canonical printing, shared by the browser (form validation),
//! the server (rule validation) and the Loki test stand-in (which evaluates the tree).

pub mod ast;
pub mod duration;
mod lexer;
mod parser;

pub use ast::*;
pub use parser::check_regex;

/// A LogQL error worded as Loki words it, so that what Gemscope says before sending a query and
/// what Loki would answer read the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: Option<usize>,
    pub col: Option<usize>,
    pub message: String,
}

impl ParseError {
    pub(crate) fn at(line: usize, col: usize, message: String) -> Self {
        ParseError {
            line: Some(line),
            col: Some(col),
            message,
        }
    }

    pub(crate) fn plain(message: String) -> Self {
        ParseError {
            line: None,
            col: None,
            message,
        }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.col) {
            (Some(l), Some(c)) => write!(f, "parse error at line {l}, col {c}: {}", self.message),
            _ => write!(f, "parse error : {}", self.message),
        }
    }
}

impl std::error::Error for ParseError {}

/// Parses a log query (`{app="x"} |= "err"`) or a metric query (`sum(rate({app="x"}[5m]))`).
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    parser::Parser::new(src)?.parse()
}

#[cfg(test)]
mod tests;
