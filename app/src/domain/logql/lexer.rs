//! Tokens of LogQL, with the 1-based line and column Loki reports in its errors.

use super::ParseError;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    Str(String),
    /// A number, kept as written (durations and byte sizes are separate).
    Num(String),
    /// A duration such as `5m` or `1h30m`, outside brackets (label filters, `offset`).
    Duration(String),
    /// A byte size such as `20MB`.
    Bytes(String),
    /// `[5m]`: Loki lexes the whole range as one token.
    Range(String),
    LBrace,
    RBrace,
    LParen,
    RParen,
    Comma,
    /// `=`
    Eq,
    /// `==`
    EqEq,
    /// `!=`
    Neq,
    /// `=~`
    Re,
    /// `!~`
    Nre,
    /// `|=`
    PipeExact,
    /// `|~`
    PipeMatch,
    /// `|>`
    PipePattern,
    /// `!>`
    NotPattern,
    Pipe,
    Gt,
    Gte,
    Lt,
    Lte,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    End,
}

impl Tok {
    /// How Loki's parser names a token in "unexpected …" messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(_) => "IDENTIFIER".into(),
            Tok::Str(_) => "STRING".into(),
            Tok::Num(_) => "NUMBER".into(),
            Tok::Duration(_) => "DURATION".into(),
            Tok::Bytes(_) => "BYTES".into(),
            Tok::Range(_) => "RANGE".into(),
            Tok::End => "$end".into(),
            other => other.symbol().into(),
        }
    }

    pub fn symbol(&self) -> &'static str {
        match self {
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::Comma => ",",
            Tok::Eq => "=",
            Tok::EqEq => "==",
            Tok::Neq => "!=",
            Tok::Re => "=~",
            Tok::Nre => "!~",
            Tok::PipeExact => "|=",
            Tok::PipeMatch => "|~",
            Tok::PipePattern => "|>",
            Tok::NotPattern => "!>",
            Tok::Pipe => "|",
            Tok::Gt => ">",
            Tok::Gte => ">=",
            Tok::Lt => "<",
            Tok::Lte => "<=",
            Tok::Add => "+",
            Tok::Sub => "-",
            Tok::Mul => "*",
            Tok::Div => "/",
            Tok::Mod => "%",
            Tok::Pow => "^",
            _ => "",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Spanned {
    pub tok: Tok,
    pub line: usize,
    pub col: usize,
}

struct Cursor<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    line: usize,
    col: usize,
}

impl Cursor<'_> {
    fn peek(&mut self) -> Option<char> {
        self.chars.peek().map(|(_, c)| *c)
    }

    fn bump(&mut self) -> Option<char> {
        let (_, c) = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn eat(&mut self, want: char) -> bool {
        if self.peek() == Some(want) {
            self.bump();
            true
        } else {
            false
        }
    }
}

pub fn tokenize(src: &str) -> Result<Vec<Spanned>, ParseError> {
    let mut cur = Cursor {
        chars: src.char_indices().peekable(),
        line: 1,
        col: 1,
    };
    let mut out = Vec::new();
    loop {
        while cur.peek().is_some_and(char::is_whitespace) {
            cur.bump();
        }
        let (line, col) = (cur.line, cur.col);
        let at = |msg: String| ParseError::at(line, col, msg);
        let Some(c) = cur.bump() else {
            out.push(Spanned {
                tok: Tok::End,
                line,
                col,
            });
            return Ok(out);
        };
        let tok = match c {
            '{' => Tok::LBrace,
            '}' => Tok::RBrace,
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            ',' => Tok::Comma,
            '+' => Tok::Add,
            '*' => Tok::Mul,
            '/' => Tok::Div,
            '%' => Tok::Mod,
            '^' => Tok::Pow,
            '-' => Tok::Sub,
            '=' if cur.eat('~') => Tok::Re,
            '=' if cur.eat('=') => Tok::EqEq,
            '=' => Tok::Eq,
            '!' if cur.eat('=') => Tok::Neq,
            '!' if cur.eat('~') => Tok::Nre,
            '!' if cur.eat('>') => Tok::NotPattern,
            '|' if cur.eat('=') => Tok::PipeExact,
            '|' if cur.eat('~') => Tok::PipeMatch,
            '|' if cur.eat('>') => Tok::PipePattern,
            '|' => Tok::Pipe,
            '>' if cur.eat('=') => Tok::Gte,
            '>' => Tok::Gt,
            '<' if cur.eat('=') => Tok::Lte,
            '<' => Tok::Lt,
            '"' => Tok::Str(quoted(&mut cur).map_err(|m| at(m.into()))?),
            '`' => {
                let mut s = String::new();
                loop {
                    match cur.bump() {
                        Some('`') => break,
                        Some(c) => s.push(c),
                        None => return Err(at("literal not terminated".into())),
                    }
                }
                Tok::Str(s)
            }
            '[' => {
                let mut s = String::new();
                loop {
                    match cur.bump() {
                        Some(']') => break,
                        Some(c) if !c.is_whitespace() => s.push(c),
                        Some(_) => {}
                        None => return Err(at("unterminated range".into())),
                    }
                }
                Tok::Range(s)
            }
            c if c.is_ascii_digit() || c == '.' => {
                let mut s = String::from(c);
                while let Some(n) = cur.peek() {
                    let exponent_sign =
                        (n == '+' || n == '-') && s.ends_with(['e', 'E']) && !is_unit(&s);
                    if !(n.is_ascii_alphanumeric() || n == '.' || exponent_sign) {
                        break;
                    }
                    s.push(n);
                    cur.bump();
                }
                classify_number(s).map_err(at)?
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut s = String::from(c);
                while let Some(n) = cur.peek() {
                    if n.is_ascii_alphanumeric() || n == '_' {
                        s.push(n);
                        cur.bump();
                    } else {
                        break;
                    }
                }
                Tok::Ident(s)
            }
            other => return Err(at(format!("syntax error: unexpected character {other:?}"))),
        };
        out.push(Spanned { tok, line, col });
    }
}

fn is_unit(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
}

/// A run of digits and letters is a number, a duration (`5m`, `1h30m`) or a byte size (`20MB`).
fn classify_number(s: String) -> Result<Tok, String> {
    if s.parse::<f64>().is_ok() || (s.starts_with("0x") && s.len() > 2) {
        return Ok(Tok::Num(s));
    }
    if super::duration::parse_ms(&s).is_some() || super::duration::parse_go(&s).is_some() {
        return Ok(Tok::Duration(s));
    }
    if super::duration::parse_bytes(&s).is_some() {
        return Ok(Tok::Bytes(s));
    }
    Err(format!("syntax error: unexpected {s:?}"))
}

/// A Go-style double-quoted string, with its escapes.
fn quoted(cur: &mut Cursor<'_>) -> Result<String, &'static str> {
    let mut s = String::new();
    loop {
        match cur.bump() {
            None | Some('\n') => return Err("literal not terminated"),
            Some('"') => return Ok(s),
            Some('\\') => match cur.bump() {
                Some('n') => s.push('\n'),
                Some('t') => s.push('\t'),
                Some('r') => s.push('\r'),
                Some('\\') => s.push('\\'),
                Some('"') => s.push('"'),
                Some('\'') => s.push('\''),
                Some('a') => s.push('\u{7}'),
                Some('b') => s.push('\u{8}'),
                Some('f') => s.push('\u{c}'),
                Some('v') => s.push('\u{b}'),
                Some(c @ ('x' | 'u' | 'U')) => {
                    let n = match c {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let hex: String = (0..n).filter_map(|_| cur.bump()).collect();
                    let ch = u32::from_str_radix(&hex, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or("invalid syntax")?;
                    s.push(ch);
                }
                _ => return Err("invalid syntax"),
            },
            Some(c) => s.push(c),
        }
    }
}
