//! A recursive-descent parser for LogQL (Loki 3.x grammar). Errors name the 1-based line and
//! column of the offending token and the token itself, the way Loki's own parser does.

use super::ParseError;
use super::ast::*;
use super::duration;
use super::lexer::{Spanned, Tok, tokenize};

pub struct Parser {
    toks: Vec<Spanned>,
    pos: usize,
}

type R<T> = Result<T, ParseError>;

const CONVERSIONS: &[&str] = &["bytes", "duration", "duration_seconds"];

impl Parser {
    pub fn new(src: &str) -> R<Self> {
        Ok(Parser {
            toks: tokenize(src)?,
            pos: 0,
        })
    }

    fn peek(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)].tok
    }

    fn peek_at(&self, n: usize) -> &Tok {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)].tok
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn is_ident(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Ident(w) if w == word)
    }

    /// "syntax error: unexpected X" at the current token, listing what would have fitted when
    /// that is short (Loki's parser lists at most four).
    fn unexpected(&self, expecting: &[&str]) -> ParseError {
        let t = &self.toks[self.pos.min(self.toks.len() - 1)];
        let mut msg = format!("syntax error: unexpected {}", t.tok.describe());
        if !expecting.is_empty() && expecting.len() <= 4 {
            msg.push_str(", expecting ");
            msg.push_str(&expecting.join(" or "));
        }
        ParseError::at(t.line, t.col, msg)
    }

    fn consume(&mut self, want: Tok) -> R<()> {
        if *self.peek() == want {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(&[want.symbol()]))
        }
    }

    fn ident(&mut self) -> R<String> {
        match self.peek().clone() {
            Tok::Ident(s) => {
                self.bump();
                Ok(s)
            }
            _ => Err(self.unexpected(&["IDENTIFIER"])),
        }
    }

    fn string(&mut self) -> R<String> {
        match self.peek().clone() {
            Tok::Str(s) => {
                self.bump();
                Ok(s)
            }
            _ => Err(self.unexpected(&["STRING"])),
        }
    }

    fn number(&mut self) -> R<f64> {
        let neg = *self.peek() == Tok::Sub;
        if neg {
            self.bump();
        }
        match self.peek().clone() {
            Tok::Num(s) => {
                self.bump();
                let v = parse_number(&s)
                    .ok_or_else(|| ParseError::plain(format!("invalid number {s}")))?;
                Ok(if neg { -v } else { v })
            }
            _ => Err(self.unexpected(&["NUMBER"])),
        }
    }

    pub fn parse(mut self) -> R<Expr> {
        let e = self.expr(0)?;
        if *self.peek() != Tok::End {
            return Err(self.unexpected(&[]));
        }
        Ok(e)
    }

    fn expr(&mut self, min_prec: u8) -> R<Expr> {
        let mut lhs = self.unary()?;
        while let Some((op, prec)) = self.binop() {
            if prec < min_prec {
                break;
            }
            let Expr::Metric(l) = lhs else {
                return Err(self.unexpected(&[]));
            };
            self.bump();
            let return_bool = self.is_ident("bool");
            if return_bool {
                if !op.is_comparison() {
                    return Err(ParseError::plain(
                        "bool modifier can only be used on comparison operators".into(),
                    ));
                }
                self.bump();
            }
            let matching = self.vector_matching()?;
            if *self.peek() == Tok::LBrace {
                return Err(self.unexpected(&[]));
            }
            // `^` binds to the right; everything else to the left.
            let next = if op == BinOp::Pow { prec } else { prec + 1 };
            let Expr::Metric(r) = self.expr(next)? else {
                return Err(self.unexpected(&[]));
            };
            lhs = Expr::Metric(MetricExpr::Binary {
                op,
                return_bool,
                matching,
                lhs: Box::new(l),
                rhs: Box::new(r),
            });
        }
        Ok(lhs)
    }

    fn binop(&self) -> Option<(BinOp, u8)> {
        Some(match self.peek() {
            Tok::Ident(w) if w == "or" => (BinOp::Or, 1),
            Tok::Ident(w) if w == "and" => (BinOp::And, 2),
            Tok::Ident(w) if w == "unless" => (BinOp::Unless, 2),
            Tok::EqEq => (BinOp::CmpEq, 3),
            Tok::Neq => (BinOp::Neq, 3),
            Tok::Gt => (BinOp::Gt, 3),
            Tok::Gte => (BinOp::Gte, 3),
            Tok::Lt => (BinOp::Lt, 3),
            Tok::Lte => (BinOp::Lte, 3),
            Tok::Add => (BinOp::Add, 4),
            Tok::Sub => (BinOp::Sub, 4),
            Tok::Mul => (BinOp::Mul, 5),
            Tok::Div => (BinOp::Div, 5),
            Tok::Mod => (BinOp::Mod, 5),
            Tok::Pow => (BinOp::Pow, 6),
            _ => return None,
        })
    }

    fn vector_matching(&mut self) -> R<Option<VectorMatching>> {
        let on = match self.peek() {
            Tok::Ident(w) if w == "on" => true,
            Tok::Ident(w) if w == "ignoring" => false,
            _ => return Ok(None),
        };
        self.bump();
        let labels = self.label_list()?;
        let group = match self.peek() {
            Tok::Ident(w) if w == "group_left" || w == "group_right" => {
                let left = w == "group_left";
                self.bump();
                let extra = if *self.peek() == Tok::LParen {
                    self.label_list()?
                } else {
                    vec![]
                };
                Some((left, extra))
            }
            _ => None,
        };
        Ok(Some(VectorMatching { on, labels, group }))
    }

    fn label_list(&mut self) -> R<Vec<String>> {
        self.consume(Tok::LParen)?;
        let mut labels = Vec::new();
        if *self.peek() == Tok::RParen {
            self.bump();
            return Ok(labels);
        }
        loop {
            labels.push(self.ident()?);
            match self.bump() {
                Tok::Comma => {}
                Tok::RParen => return Ok(labels),
                _ => {
                    self.pos -= 1;
                    return Err(self.unexpected(&[")", ","]));
                }
            }
        }
    }

    fn unary(&mut self) -> R<Expr> {
        if matches!(self.peek(), Tok::Sub | Tok::Add) && matches!(self.peek_at(1), Tok::Num(_)) {
            return Ok(Expr::Metric(MetricExpr::Number(self.signed_number()?)));
        }
        self.primary()
    }

    fn signed_number(&mut self) -> R<f64> {
        if *self.peek() == Tok::Add {
            self.bump();
        }
        self.number()
    }

    fn primary(&mut self) -> R<Expr> {
        match self.peek().clone() {
            Tok::Num(_) => Ok(Expr::Metric(MetricExpr::Number(self.number()?))),
            Tok::LParen => {
                self.bump();
                let inner = self.expr(0)?;
                self.consume(Tok::RParen)?;
                Ok(inner)
            }
            Tok::LBrace => Ok(Expr::Log(self.log_expr()?)),
            Tok::Ident(name) => {
                if RANGE_FUNCTIONS.contains(&name.as_str()) {
                    self.bump();
                    self.range_aggregation(name).map(Expr::Metric)
                } else if VECTOR_OPS.contains(&name.as_str()) {
                    self.bump();
                    self.vector_aggregation(name).map(Expr::Metric)
                } else if name == "label_replace" {
                    self.bump();
                    self.label_replace().map(Expr::Metric)
                } else if name == "vector" {
                    self.bump();
                    self.consume(Tok::LParen)?;
                    let n = self.signed_number()?;
                    self.consume(Tok::RParen)?;
                    Ok(Expr::Metric(MetricExpr::Literal(n)))
                } else {
                    Err(self.unexpected(&[]))
                }
            }
            _ => Err(self.unexpected(&[])),
        }
    }

    fn metric(&mut self) -> R<MetricExpr> {
        match self.expr(0)? {
            Expr::Metric(m) => Ok(m),
            Expr::Log(_) => Err(self.unexpected(&[])),
        }
    }

    fn grouping(&mut self) -> R<Option<Grouping>> {
        let without = match self.peek() {
            Tok::Ident(w) if w == "by" => false,
            Tok::Ident(w) if w == "without" => true,
            _ => return Ok(None),
        };
        self.bump();
        Ok(Some(Grouping {
            without,
            labels: self.label_list()?,
        }))
    }

    fn range_aggregation(&mut self, func: String) -> R<MetricExpr> {
        self.consume(Tok::LParen)?;
        let param = if func == "quantile_over_time" {
            let p = self.signed_number()?;
            self.consume(Tok::Comma)?;
            Some(p)
        } else {
            None
        };
        let log = if *self.peek() == Tok::LParen {
            self.bump();
            let l = self.log_expr()?;
            self.consume(Tok::RParen)?;
            l
        } else if *self.peek() == Tok::LBrace {
            self.log_expr()?
        } else {
            return Err(self.unexpected(&[]));
        };
        let Tok::Range(text) = self.peek().clone() else {
            return Err(self.unexpected(&[]));
        };
        let range_ms = duration::parse_ms(&text)
            .ok_or_else(|| ParseError::plain(format!("not a valid duration string: {text:?}")))?;
        self.bump();
        let offset_ms = if self.is_ident("offset") {
            self.bump();
            match self.bump() {
                Tok::Duration(d) => Some(duration::parse_ms(&d).ok_or_else(|| {
                    ParseError::plain(format!("not a valid duration string: {d:?}"))
                })?),
                _ => {
                    self.pos -= 1;
                    return Err(self.unexpected(&["DURATION"]));
                }
            }
        } else {
            None
        };
        self.consume(Tok::RParen)?;
        let grouping = self.grouping()?;
        let unwrapped = log
            .pipeline
            .iter()
            .any(|s| matches!(s, Stage::Unwrap { .. }));
        let wants_unwrap = UNWRAP_FUNCTIONS.contains(&func.as_str());
        if unwrapped && !wants_unwrap {
            return Err(ParseError::plain(format!(
                "invalid aggregation {func} with unwrap"
            )));
        }
        if wants_unwrap && !unwrapped {
            return Err(ParseError::plain(format!(
                "invalid aggregation {func} without unwrap"
            )));
        }
        if grouping.is_some() && !wants_unwrap {
            return Err(ParseError::plain(format!(
                "grouping not allowed for {func} aggregation"
            )));
        }
        Ok(MetricExpr::Range {
            func,
            param,
            range: LogRange {
                log,
                range_ms,
                offset_ms,
            },
            grouping,
        })
    }

    fn vector_aggregation(&mut self, op: String) -> R<MetricExpr> {
        let before = self.grouping()?;
        self.consume(Tok::LParen)?;
        let param = if op == "topk" || op == "bottomk" {
            let p = self.number()?;
            self.consume(Tok::Comma)?;
            Some(p)
        } else {
            None
        };
        let inner = self.metric()?;
        self.consume(Tok::RParen)?;
        let after = if before.is_none() {
            self.grouping()?
        } else {
            None
        };
        Ok(MetricExpr::Aggregate {
            op,
            grouping: before.or(after),
            param,
            inner: Box::new(inner),
        })
    }

    fn label_replace(&mut self) -> R<MetricExpr> {
        self.consume(Tok::LParen)?;
        let inner = self.metric()?;
        let mut args = Vec::new();
        for _ in 0..4 {
            self.consume(Tok::Comma)?;
            args.push(self.string()?);
        }
        self.consume(Tok::RParen)?;
        let regex = args.pop().unwrap_or_default();
        check_regex(&regex)
            .map_err(|e| ParseError::plain(format!("invalid regex in label_replace: {e}")))?;
        let src = args.pop().unwrap_or_default();
        let replacement = args.pop().unwrap_or_default();
        let dst = args.pop().unwrap_or_default();
        Ok(MetricExpr::LabelReplace {
            inner: Box::new(inner),
            dst,
            replacement,
            src,
            regex,
        })
    }

    fn log_expr(&mut self) -> R<LogExpr> {
        let selector = self.selector()?;
        let mut pipeline = Vec::new();
        loop {
            let op = match self.peek() {
                Tok::PipeExact => LineOp::Contains,
                Tok::Neq => LineOp::NotContains,
                Tok::PipeMatch => LineOp::Match,
                Tok::Nre => LineOp::NotMatch,
                Tok::PipePattern => LineOp::Pattern,
                Tok::NotPattern => LineOp::NotPattern,
                Tok::Pipe => {
                    self.bump();
                    pipeline.push(self.stage()?);
                    continue;
                }
                _ => break,
            };
            self.bump();
            let mut values = vec![self.string()?];
            while self.is_ident("or") && matches!(self.peek_at(1), Tok::Str(_)) {
                self.bump();
                values.push(self.string()?);
            }
            let stage = Stage::Line { op, values };
            if matches!(op, LineOp::Match | LineOp::NotMatch)
                && let Stage::Line { values, .. } = &stage
            {
                for v in values {
                    if let Err(e) = check_regex(v) {
                        return Err(ParseError::plain(format!(
                            "stage '{}' : error parsing regexp: {e}",
                            stage.to_string().trim_start()
                        )));
                    }
                }
            }
            pipeline.push(stage);
        }
        Ok(LogExpr { selector, pipeline })
    }

    fn selector(&mut self) -> R<Vec<Matcher>> {
        self.consume(Tok::LBrace)?;
        let mut matchers = Vec::new();
        if *self.peek() != Tok::RBrace {
            loop {
                matchers.push(self.matcher()?);
                match self.peek() {
                    Tok::Comma => {
                        self.bump();
                    }
                    Tok::RBrace => break,
                    _ => return Err(self.unexpected(&["}", ","])),
                }
            }
        }
        self.bump();
        if !matchers.iter().any(|m| !m.matches("")) {
            return Err(ParseError::plain(
                "queries require at least one regexp or equality matcher that does not have an \
                 empty-compatible value. For instance, app=~\".*\" does not meet this requirement, \
                 but app=~\".+\" will"
                    .into(),
            ));
        }
        Ok(matchers)
    }

    fn matcher(&mut self) -> R<Matcher> {
        let name = self.ident()?;
        let op = match self.peek() {
            Tok::Eq => MatchOp::Eq,
            Tok::Neq => MatchOp::Neq,
            Tok::Re => MatchOp::Re,
            Tok::Nre => MatchOp::Nre,
            _ => return Err(self.unexpected(&["=", "!=", "=~", "!~"])),
        };
        self.bump();
        let value = self.string()?;
        if matches!(op, MatchOp::Re | MatchOp::Nre) {
            check_regex(&value)
                .map_err(|e| ParseError::plain(format!("error parsing regexp: {e}")))?;
        }
        Ok(Matcher { name, op, value })
    }

    fn stage(&mut self) -> R<Stage> {
        if *self.peek() == Tok::LParen {
            return Ok(Stage::Filter(self.label_filter_or()?));
        }
        let Tok::Ident(word) = self.peek().clone() else {
            return Err(self.unexpected(&[]));
        };
        let is_filter = matches!(
            self.peek_at(1),
            Tok::Eq
                | Tok::EqEq
                | Tok::Neq
                | Tok::Re
                | Tok::Nre
                | Tok::Gt
                | Tok::Gte
                | Tok::Lt
                | Tok::Lte
        );
        if is_filter {
            return Ok(Stage::Filter(self.label_filter_or()?));
        }
        self.bump();
        Ok(match word.as_str() {
            "json" => Stage::Json(self.extraction_params()?),
            "logfmt" => {
                let (mut strict, mut keep_empty) = (false, false);
                while *self.peek() == Tok::Sub && *self.peek_at(1) == Tok::Sub {
                    self.bump();
                    self.bump();
                    match self.ident()?.as_str() {
                        "strict" => strict = true,
                        "keep" if *self.peek() == Tok::Sub => {
                            self.bump();
                            if self.ident()? != "empty" {
                                return Err(ParseError::plain("invalid logfmt flag".into()));
                            }
                            keep_empty = true;
                        }
                        _ => return Err(ParseError::plain("invalid logfmt flag".into())),
                    }
                }
                Stage::Logfmt {
                    strict,
                    keep_empty,
                    params: self.extraction_params()?,
                }
            }
            "regexp" => {
                let r = self.string()?;
                check_regex(&r)
                    .map_err(|e| ParseError::plain(format!("error parsing regexp: {e}")))?;
                Stage::Regexp(r)
            }
            "pattern" => Stage::Pattern(self.string()?),
            "unpack" => Stage::Unpack,
            "decolorize" => Stage::Decolorize,
            "line_format" => Stage::LineFormat(self.string()?),
            "label_format" => {
                let mut list = Vec::new();
                loop {
                    let name = self.ident()?;
                    self.consume(Tok::Eq)?;
                    let value = match self.bump() {
                        Tok::Ident(old) => LabelFmt::Rename(old),
                        Tok::Str(t) => LabelFmt::Template(t),
                        _ => {
                            self.pos -= 1;
                            return Err(self.unexpected(&["IDENTIFIER", "STRING"]));
                        }
                    };
                    list.push((name, value));
                    if *self.peek() != Tok::Comma {
                        break;
                    }
                    self.bump();
                }
                Stage::LabelFormat(list)
            }
            "drop" | "keep" => {
                let mut list = Vec::new();
                loop {
                    let name = self.ident()?;
                    let op = match self.peek() {
                        Tok::Eq => Some(MatchOp::Eq),
                        Tok::Neq => Some(MatchOp::Neq),
                        Tok::Re => Some(MatchOp::Re),
                        Tok::Nre => Some(MatchOp::Nre),
                        _ => None,
                    };
                    list.push(match op {
                        Some(op) => {
                            self.bump();
                            LabelFilterOrName::Matcher(Matcher {
                                name,
                                op,
                                value: self.string()?,
                            })
                        }
                        None => LabelFilterOrName::Name(name),
                    });
                    if *self.peek() != Tok::Comma {
                        break;
                    }
                    self.bump();
                }
                if word == "drop" {
                    Stage::Drop(list)
                } else {
                    Stage::Keep(list)
                }
            }
            "unwrap" => {
                let first = self.ident()?;
                if CONVERSIONS.contains(&first.as_str()) && *self.peek() == Tok::LParen {
                    self.bump();
                    let label = self.ident()?;
                    self.consume(Tok::RParen)?;
                    Stage::Unwrap {
                        conversion: Some(first),
                        label,
                    }
                } else {
                    Stage::Unwrap {
                        conversion: None,
                        label: first,
                    }
                }
            }
            _ => {
                self.pos -= 1;
                return Err(self.unexpected(&[]));
            }
        })
    }

    /// `json a="x.y", b` style parameters; none is fine.
    fn extraction_params(&mut self) -> R<Vec<(String, String)>> {
        let mut params = Vec::new();
        while let Tok::Ident(name) = self.peek().clone() {
            if matches!(self.peek_at(1), Tok::Eq) {
                self.bump();
                self.bump();
                params.push((name, self.string()?));
            } else if matches!(
                self.peek_at(1),
                Tok::Comma | Tok::End | Tok::Pipe | Tok::Range(_) | Tok::RParen
            ) && !["or", "and", "unless"].contains(&name.as_str())
            {
                self.bump();
                params.push((name.clone(), name));
            } else {
                break;
            }
            if *self.peek() != Tok::Comma {
                break;
            }
            self.bump();
        }
        Ok(params)
    }

    fn label_filter_or(&mut self) -> R<LabelFilter> {
        let mut lhs = self.label_filter_and()?;
        while self.is_ident("or") && matches!(self.peek_at(1), Tok::Ident(_) | Tok::LParen) {
            self.bump();
            let rhs = self.label_filter_and()?;
            lhs = LabelFilter::Or(Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn label_filter_and(&mut self) -> R<LabelFilter> {
        let mut lhs = self.label_filter_atom()?;
        loop {
            let explicit = self.is_ident("and") || *self.peek() == Tok::Comma;
            let implicit = matches!(self.peek(), Tok::Ident(w) if w != "or" && w != "and")
                && matches!(
                    self.peek_at(1),
                    Tok::Eq
                        | Tok::EqEq
                        | Tok::Neq
                        | Tok::Re
                        | Tok::Nre
                        | Tok::Gt
                        | Tok::Gte
                        | Tok::Lt
                        | Tok::Lte
                );
            if !explicit && !implicit {
                return Ok(lhs);
            }
            if explicit {
                self.bump();
            }
            let rhs = self.label_filter_atom()?;
            lhs = LabelFilter::And(Box::new(lhs), Box::new(rhs));
        }
    }

    fn label_filter_atom(&mut self) -> R<LabelFilter> {
        if *self.peek() == Tok::LParen {
            self.bump();
            let inner = self.label_filter_or()?;
            self.consume(Tok::RParen)?;
            return Ok(inner);
        }
        let name = self.ident()?;
        let op = match self.peek() {
            Tok::Eq => CmpOp::Eq,
            Tok::EqEq => CmpOp::EqEq,
            Tok::Neq => CmpOp::Neq,
            Tok::Re => CmpOp::Re,
            Tok::Nre => CmpOp::Nre,
            Tok::Gt => CmpOp::Gt,
            Tok::Gte => CmpOp::Gte,
            Tok::Lt => CmpOp::Lt,
            Tok::Lte => CmpOp::Lte,
            _ => return Err(self.unexpected(&[])),
        };
        self.bump();
        let value = match self.peek().clone() {
            Tok::Str(s) if !matches!(op, CmpOp::Gt | CmpOp::Gte | CmpOp::Lt | CmpOp::Lte) => {
                if matches!(op, CmpOp::Re | CmpOp::Nre) {
                    check_regex(&s)
                        .map_err(|e| ParseError::plain(format!("error parsing regexp: {e}")))?;
                }
                FilterValue::Str(s)
            }
            Tok::Num(t) if !matches!(op, CmpOp::Re | CmpOp::Nre) => {
                FilterValue::Num(parse_number(&t).unwrap_or(f64::NAN), t)
            }
            Tok::Duration(t) if !matches!(op, CmpOp::Re | CmpOp::Nre) => {
                FilterValue::Duration(duration::parse_go(&t).unwrap_or(f64::NAN), t)
            }
            Tok::Bytes(t) if !matches!(op, CmpOp::Re | CmpOp::Nre) => {
                FilterValue::Bytes(duration::parse_bytes(&t).unwrap_or(f64::NAN), t)
            }
            _ => return Err(self.unexpected(&[])),
        };
        self.bump();
        Ok(LabelFilter::Cmp { name, op, value })
    }
}

fn parse_number(s: &str) -> Option<f64> {
    match s.strip_prefix("0x") {
        Some(hex) => i64::from_str_radix(hex, 16).ok().map(|v| v as f64),
        None => s.parse().ok(),
    }
}

/// Go's RE2 and Rust's `regex` share their syntax for everything LogQL users write.
pub fn check_regex(re: &str) -> Result<(), String> {
    regex::Regex::new(re).map(|_| ()).map_err(|e| match e {
        regex::Error::Syntax(s) => {
            let last = s.lines().last().unwrap_or_default().trim();
            last.strip_prefix("error: ").unwrap_or(last).to_string()
        }
        other => other.to_string(),
    })
}

impl Matcher {
    /// Whether a label value satisfies the matcher (regexes are anchored, as in Prometheus).
    pub fn matches(&self, value: &str) -> bool {
        match self.op {
            MatchOp::Eq => value == self.value,
            MatchOp::Neq => value != self.value,
            MatchOp::Re | MatchOp::Nre => {
                let hit = regex::Regex::new(&format!("^(?:{})$", self.value))
                    .map(|r| r.is_match(value))
                    .unwrap_or(false);
                hit == (self.op == MatchOp::Re)
            }
        }
    }
}
