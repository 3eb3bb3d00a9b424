//! The LogQL syntax tree. `Display` prints the canonical form Loki itself prints (in its ruler
//! API's `query` field, for example), so a parsed query can be compared with what Loki reports.

use std::fmt::{self, Display, Formatter, Write};

use super::duration::format_ms;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Log(LogExpr),
    Metric(MetricExpr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    Eq,
    Neq,
    Re,
    Nre,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogExpr {
    pub selector: Vec<Matcher>,
    pub pipeline: Vec<Stage>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOp {
    Contains,
    NotContains,
    Match,
    NotMatch,
    Pattern,
    NotPattern,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LabelFmt {
    /// `new=old`: rename.
    Rename(String),
    /// `new="{{ template }}"`.
    Template(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    EqEq,
    Neq,
    Re,
    Nre,
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    Str(String),
    /// A number, with its text as written.
    Num(f64, String),
    /// A duration in seconds, with its text.
    Duration(f64, String),
    /// A size in bytes, with its text.
    Bytes(f64, String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum LabelFilter {
    Cmp {
        name: String,
        op: CmpOp,
        value: FilterValue,
    },
    And(Box<LabelFilter>, Box<LabelFilter>),
    Or(Box<LabelFilter>, Box<LabelFilter>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// `|= "a" or "b"`: one operator, one or more alternatives.
    Line {
        op: LineOp,
        values: Vec<String>,
    },
    /// `| json` with optional `label="json.path"` extractions.
    Json(Vec<(String, String)>),
    Logfmt {
        strict: bool,
        keep_empty: bool,
        params: Vec<(String, String)>,
    },
    Regexp(String),
    Pattern(String),
    Unpack,
    LineFormat(String),
    LabelFormat(Vec<(String, LabelFmt)>),
    Drop(Vec<LabelFilterOrName>),
    Keep(Vec<LabelFilterOrName>),
    Decolorize,
    Filter(LabelFilter),
    Unwrap {
        conversion: Option<String>,
        label: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum LabelFilterOrName {
    Name(String),
    Matcher(Matcher),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Grouping {
    pub without: bool,
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Unless,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    CmpEq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl BinOp {
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::CmpEq | BinOp::Neq | BinOp::Gt | BinOp::Gte | BinOp::Lt | BinOp::Lte
        )
    }

    pub fn is_set(self) -> bool {
        matches!(self, BinOp::Or | BinOp::And | BinOp::Unless)
    }

    fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Unless => "unless",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Pow => "^",
            BinOp::CmpEq => "==",
            BinOp::Neq => "!=",
            BinOp::Gt => ">",
            BinOp::Gte => ">=",
            BinOp::Lt => "<",
            BinOp::Lte => "<=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct VectorMatching {
    /// `on` when true, `ignoring` otherwise.
    pub on: bool,
    pub labels: Vec<String>,
    /// `group_left` / `group_right` with their extra labels.
    pub group: Option<(bool, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogRange {
    pub log: LogExpr,
    pub range_ms: u64,
    pub offset_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MetricExpr {
    /// `count_over_time({…}[5m])`, `quantile_over_time(0.99, … | unwrap x [5m]) by (a)`.
    Range {
        func: String,
        param: Option<f64>,
        range: LogRange,
        grouping: Option<Grouping>,
    },
    /// `sum by (a) (…)`, `topk(5, …)`.
    Aggregate {
        op: String,
        grouping: Option<Grouping>,
        param: Option<f64>,
        inner: Box<MetricExpr>,
    },
    Binary {
        op: BinOp,
        return_bool: bool,
        matching: Option<VectorMatching>,
        lhs: Box<MetricExpr>,
        rhs: Box<MetricExpr>,
    },
    Number(f64),
    LabelReplace {
        inner: Box<MetricExpr>,
        dst: String,
        replacement: String,
        src: String,
        regex: String,
    },
    /// `vector(1)`.
    Literal(f64),
}

pub const RANGE_FUNCTIONS: &[&str] = &[
    "count_over_time",
    "rate",
    "rate_counter",
    "bytes_over_time",
    "bytes_rate",
    "absent_over_time",
    "avg_over_time",
    "sum_over_time",
    "min_over_time",
    "max_over_time",
    "stdvar_over_time",
    "stddev_over_time",
    "quantile_over_time",
    "first_over_time",
    "last_over_time",
];

/// Range functions that read an `unwrap`ped label rather than counting lines.
pub const UNWRAP_FUNCTIONS: &[&str] = &[
    "rate_counter",
    "avg_over_time",
    "sum_over_time",
    "min_over_time",
    "max_over_time",
    "stdvar_over_time",
    "stddev_over_time",
    "quantile_over_time",
    "first_over_time",
    "last_over_time",
];

pub const VECTOR_OPS: &[&str] = &[
    "sum",
    "avg",
    "count",
    "max",
    "min",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "sort",
    "sort_desc",
];

/// A string as Go's `strconv.Quote` writes it.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A number as Go's `strconv.FormatFloat(v, 'f', -1, 64)` writes it.
pub fn format_number(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if v.is_nan() {
        return "NaN".into();
    }
    format!("{v}")
}

impl MatchOp {
    fn symbol(self) -> &'static str {
        match self {
            MatchOp::Eq => "=",
            MatchOp::Neq => "!=",
            MatchOp::Re => "=~",
            MatchOp::Nre => "!~",
        }
    }
}

impl CmpOp {
    fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::EqEq => "==",
            CmpOp::Neq => "!=",
            CmpOp::Re => "=~",
            CmpOp::Nre => "!~",
            CmpOp::Gt => ">",
            CmpOp::Gte => ">=",
            CmpOp::Lt => "<",
            CmpOp::Lte => "<=",
        }
    }
}

impl Display for Matcher {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.name, self.op.symbol(), quote(&self.value))
    }
}

impl Display for LabelFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            LabelFilter::Cmp { name, op, value } => {
                let v = match value {
                    FilterValue::Str(s) => quote(s),
                    FilterValue::Num(_, t)
                    | FilterValue::Duration(_, t)
                    | FilterValue::Bytes(_, t) => t.clone(),
                };
                write!(f, "{name}{}{v}", op.symbol())
            }
            LabelFilter::And(a, b) => write!(f, "( {a} , {b} )"),
            LabelFilter::Or(a, b) => write!(f, "( {a} or {b} )"),
        }
    }
}

fn names(list: &[LabelFilterOrName]) -> String {
    list.iter()
        .map(|l| match l {
            LabelFilterOrName::Name(n) => n.clone(),
            LabelFilterOrName::Matcher(m) => m.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn params(list: &[(String, String)]) -> String {
    list.iter()
        .map(|(k, v)| format!("{k}={}", quote(v)))
        .collect::<Vec<_>>()
        .join(",")
}

impl Display for Stage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Stage::Line { op, values } => {
                let sym = match op {
                    LineOp::Contains => "|=",
                    LineOp::NotContains => "!=",
                    LineOp::Match => "|~",
                    LineOp::NotMatch => "!~",
                    LineOp::Pattern => "|>",
                    LineOp::NotPattern => "!>",
                };
                let alts: Vec<String> = values.iter().map(|v| quote(v)).collect();
                write!(f, " {sym} {}", alts.join(" or "))
            }
            Stage::Json(p) if p.is_empty() => f.write_str(" | json"),
            Stage::Json(p) => write!(f, " | json {}", params(p)),
            Stage::Logfmt {
                strict,
                keep_empty,
                params: p,
            } => {
                f.write_str(" | logfmt")?;
                if *strict {
                    f.write_str(" --strict")?;
                }
                if *keep_empty {
                    f.write_str(" --keep-empty")?;
                }
                if !p.is_empty() {
                    write!(f, " {}", params(p))?;
                }
                Ok(())
            }
            Stage::Regexp(r) => write!(f, " | regexp {}", quote(r)),
            Stage::Pattern(p) => write!(f, " | pattern {}", quote(p)),
            Stage::Unpack => f.write_str(" | unpack"),
            Stage::LineFormat(t) => write!(f, " | line_format {}", quote(t)),
            Stage::LabelFormat(list) => {
                let parts: Vec<String> = list
                    .iter()
                    .map(|(k, v)| match v {
                        LabelFmt::Rename(old) => format!("{k}={old}"),
                        LabelFmt::Template(t) => format!("{k}={}", quote(t)),
                    })
                    .collect();
                write!(f, " | label_format {}", parts.join(","))
            }
            Stage::Drop(l) => write!(f, " | drop {}", names(l)),
            Stage::Keep(l) => write!(f, " | keep {}", names(l)),
            Stage::Decolorize => f.write_str(" | decolorize"),
            Stage::Filter(lf) => write!(f, " | {lf}"),
            Stage::Unwrap { conversion, label } => match conversion {
                Some(c) => write!(f, " | unwrap {c}({label})"),
                None => write!(f, " | unwrap {label}"),
            },
        }
    }
}

impl Display for LogExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let m: Vec<String> = self.selector.iter().map(ToString::to_string).collect();
        write!(f, "{{{}}}", m.join(", "))?;
        for s in &self.pipeline {
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

impl Display for Grouping {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let kw = if self.without { "without" } else { "by" };
        write!(f, " {kw} ({})", self.labels.join(","))
    }
}

impl Display for MetricExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            MetricExpr::Range {
                func,
                param,
                range,
                grouping,
            } => {
                f.write_str(func)?;
                f.write_str("(")?;
                if let Some(p) = param {
                    write!(f, "{},", format_number(*p))?;
                }
                write!(f, "{}[{}]", range.log, format_ms(range.range_ms))?;
                if let Some(o) = range.offset_ms {
                    write!(f, " offset {}", format_ms(o))?;
                }
                f.write_str(")")?;
                if let Some(g) = grouping {
                    write!(f, "{g}")?;
                }
                Ok(())
            }
            MetricExpr::Aggregate {
                op,
                grouping,
                param,
                inner,
            } => {
                f.write_str(op)?;
                if let Some(g) = grouping
                    .as_ref()
                    .filter(|g| g.without || !g.labels.is_empty())
                {
                    write!(f, "{g}")?;
                }
                f.write_str("(")?;
                if let Some(p) = param {
                    write!(f, "{},", format_number(*p))?;
                }
                write!(f, "{inner})")
            }
            MetricExpr::Binary {
                op,
                return_bool,
                matching,
                lhs,
                rhs,
            } => {
                write!(f, "({lhs} {}", op.symbol())?;
                if *return_bool {
                    f.write_str(" bool")?;
                }
                if let Some(m) = matching {
                    let kw = if m.on { "on" } else { "ignoring" };
                    write!(f, " {kw} ({})", m.labels.join(","))?;
                    if let Some((left, extra)) = &m.group {
                        let kw = if *left { "group_left" } else { "group_right" };
                        write!(f, " {kw} ({})", extra.join(","))?;
                    }
                }
                write!(f, " {rhs})")
            }
            MetricExpr::Number(n) => f.write_str(&format_number(*n)),
            MetricExpr::LabelReplace {
                inner,
                dst,
                replacement,
                src,
                regex,
            } => write!(
                f,
                "label_replace({inner},{},{},{},{})",
                quote(dst),
                quote(replacement),
                quote(src),
                quote(regex)
            ),
            MetricExpr::Literal(n) => write!(f, "vector({})", format_number(*n)),
        }
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Log(l) => l.fmt(f),
            Expr::Metric(m) => m.fmt(f),
        }
    }
}

impl MetricExpr {
    /// Every log selection the expression reads.
    pub fn log_ranges(&self) -> Vec<&LogRange> {
        match self {
            MetricExpr::Range { range, .. } => vec![range],
            MetricExpr::Aggregate { inner, .. } | MetricExpr::LabelReplace { inner, .. } => {
                inner.log_ranges()
            }
            MetricExpr::Binary { lhs, rhs, .. } => {
                let mut v = lhs.log_ranges();
                v.extend(rhs.log_ranges());
                v
            }
            MetricExpr::Number(_) | MetricExpr::Literal(_) => vec![],
        }
    }
}
