//! A check's `filter`: parsed with sqlparser and kept only when it is column comparisons —
//! `=`, `<>`, `<`, `<=`, `>`, `>=`, `IS [NOT] NULL`, `[NOT] IN (…)`, `[NOT] BETWEEN`, joined
//! with AND, OR, NOT and parentheses, over column names and plain literals. Nothing of the
//! user's text reaches a database: the hub writes the SQL again from this tree, with each
//! engine's quoting, so a filter cannot run anything but a comparison.

use crate::connections::DbEngine;
use sqlparser::ast::{BinaryOperator, Expr, InTarget, UnaryOperator, Value};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

impl CompareOp {
    fn sql(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::NotEq => "<>",
            CompareOp::Lt => "<",
            CompareOp::LtEq => "<=",
            CompareOp::Gt => ">",
            CompareOp::GtEq => ">=",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Column(String),
    Number(String),
    Text(String),
    Bool(bool),
    Null,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    Compare(Operand, CompareOp, Operand),
    IsNull { operand: Operand, negated: bool },
    In { operand: Operand, list: Vec<Operand>, negated: bool },
    Between { operand: Operand, low: Operand, high: Operand, negated: bool },
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
}

const MAX_LENGTH: usize = 4096;

impl Filter {
    /// Parses `text`, refusing anything but column comparisons, with the reason.
    pub fn parse(text: &str) -> Result<Filter, String> {
        if text.len() > MAX_LENGTH {
            return Err(format!("a filter is at most {MAX_LENGTH} characters"));
        }
        let dialect = GenericDialect {};
        let mut parser =
            Parser::new(&dialect).try_with_sql(text).map_err(|e| format!("cannot be read: {e}"))?;
        let expr = parser.parse_expr().map_err(|e| format!("cannot be read: {e}"))?;
        let next = parser.peek_token();
        if next.token != Token::EOF {
            return Err(format!("only one condition is allowed; {} is left over", next.token));
        }
        condition(&expr)
    }

    /// The columns the filter names.
    pub fn columns(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |o| {
            if let Operand::Column(c) = o {
                out.push(c.as_str());
            }
        });
        out
    }

    fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Operand)) {
        match self {
            Filter::Compare(a, _, b) => {
                f(a);
                f(b);
            }
            Filter::IsNull { operand, .. } => f(operand),
            Filter::In { operand, list, .. } => {
                f(operand);
                list.iter().for_each(f);
            }
            Filter::Between { operand, low, high, .. } => {
                f(operand);
                f(low);
                f(high);
            }
            Filter::And(a, b) | Filter::Or(a, b) => {
                a.walk(f);
                b.walk(f);
            }
            Filter::Not(a) => a.walk(f),
        }
    }

    /// The filter as SQL for `engine`, each column through `column` (the side's quoted name).
    pub fn sql(&self, engine: DbEngine, column: &impl Fn(&str) -> String) -> String {
        let o = |operand: &Operand| render(operand, engine, column);
        match self {
            Filter::Compare(a, op, b) => format!("{} {} {}", o(a), op.sql(), o(b)),
            Filter::IsNull { operand, negated } => format!("{} IS {}NULL", o(operand), not(*negated)),
            Filter::In { operand, list, negated } => {
                let items: Vec<String> = list.iter().map(o).collect();
                format!("{} {}IN ({})", o(operand), not(*negated), items.join(", "))
            }
            Filter::Between { operand, low, high, negated } => {
                format!("{} {}BETWEEN {} AND {}", o(operand), not(*negated), o(low), o(high))
            }
            Filter::And(a, b) => format!("({}) AND ({})", a.sql(engine, column), b.sql(engine, column)),
            Filter::Or(a, b) => format!("({}) OR ({})", a.sql(engine, column), b.sql(engine, column)),
            Filter::Not(a) => format!("NOT ({})", a.sql(engine, column)),
        }
    }
}

fn not(negated: bool) -> &'static str {
    if negated {
        "NOT "
    } else {
        ""
    }
}

/// A literal in `engine`'s words: quotes doubled; MySQL also reads backslashes in strings.
fn render(operand: &Operand, engine: DbEngine, column: &impl Fn(&str) -> String) -> String {
    match operand {
        Operand::Column(c) => column(c),
        Operand::Number(n) => n.clone(),
        Operand::Text(t) => {
            let t = t.replace('\'', "''");
            let t = if engine == DbEngine::MySql { t.replace('\\', "\\\\") } else { t };
            format!("'{t}'")
        }
        Operand::Bool(true) => "TRUE".into(),
        Operand::Bool(false) => "FALSE".into(),
        Operand::Null => "NULL".into(),
    }
}

fn condition(e: &Expr) -> Result<Filter, String> {
    match e {
        Expr::Nested(inner) => condition(inner),
        Expr::BinaryOp { left, op, right } => {
            let compare = match op {
                BinaryOperator::And => {
                    return Ok(Filter::And(Box::new(condition(left)?), Box::new(condition(right)?)))
                }
                BinaryOperator::Or => {
                    return Ok(Filter::Or(Box::new(condition(left)?), Box::new(condition(right)?)))
                }
                BinaryOperator::Eq => CompareOp::Eq,
                BinaryOperator::NotEq => CompareOp::NotEq,
                BinaryOperator::Lt => CompareOp::Lt,
                BinaryOperator::LtEq => CompareOp::LtEq,
                BinaryOperator::Gt => CompareOp::Gt,
                BinaryOperator::GtEq => CompareOp::GtEq,
                other => {
                    return Err(format!("{other} is not allowed (only comparisons joined by AND, OR, NOT)"))
                }
            };
            let (a, b) = (operand(left)?, operand(right)?);
            if !matches!(a, Operand::Column(_)) && !matches!(b, Operand::Column(_)) {
                return Err(format!("{e} compares no column"));
            }
            Ok(Filter::Compare(a, compare, b))
        }
        Expr::UnaryOp { op: UnaryOperator::Not, expr } => Ok(Filter::Not(Box::new(condition(expr)?))),
        Expr::IsNull(inner) => Ok(Filter::IsNull { operand: column(inner)?, negated: false }),
        Expr::IsNotNull(inner) => Ok(Filter::IsNull { operand: column(inner)?, negated: true }),
        Expr::In { expr, target: InTarget::List(list), negated, global: false } => {
            let list = list.iter().map(literal).collect::<Result<Vec<_>, _>>()?;
            if list.is_empty() || list.len() > 1000 {
                return Err("an IN list holds 1 to 1000 values".into());
            }
            Ok(Filter::In { operand: column(expr)?, list, negated: *negated })
        }
        Expr::Between { expr, negated, low, high } => Ok(Filter::Between {
            operand: column(expr)?,
            low: literal(low)?,
            high: literal(high)?,
            negated: *negated,
        }),
        other => Err(format!("{other} is not a column comparison")),
    }
}

fn column(e: &Expr) -> Result<Operand, String> {
    match operand(e)? {
        c @ Operand::Column(_) => Ok(c),
        _ => Err(format!("{e} must be a column")),
    }
}

fn literal(e: &Expr) -> Result<Operand, String> {
    match operand(e)? {
        Operand::Column(c) => Err(format!("{c} must be a value here")),
        value => Ok(value),
    }
}

fn operand(e: &Expr) -> Result<Operand, String> {
    match e {
        Expr::Nested(inner) => operand(inner),
        Expr::Identifier(ident)
            if ident.quote_style.is_none() && crate::config::checks::is_column(&ident.value) =>
        {
            Ok(Operand::Column(ident.value.clone()))
        }
        Expr::Identifier(ident) => Err(format!("{ident} is not a plain column name")),
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => Ok(Operand::Number(number(n)?)),
            Value::SingleQuotedString(s) => Ok(Operand::Text(s.clone())),
            Value::Boolean(b) => Ok(Operand::Bool(*b)),
            Value::Null => Ok(Operand::Null),
            other => Err(format!("{other} is not a plain literal")),
        },
        Expr::UnaryOp { op: UnaryOperator::Minus, expr } => match operand(expr)? {
            Operand::Number(n) => Ok(Operand::Number(format!("-{n}"))),
            _ => Err(format!("{e} is not a number")),
        },
        other => Err(format!("{other} is not a column or a literal")),
    }
}

/// A number literal, checked to be digits with one optional point and exponent.
fn number(n: &str) -> Result<String, String> {
    let ok = n.parse::<f64>().is_ok_and(f64::is_finite)
        && n.chars().all(|c| c.is_ascii_digit() || ".eE+-".contains(c));
    if ok {
        Ok(n.to_string())
    } else {
        Err(format!("{n} is not a number"))
    }
}

/// A check's source query: one SELECT (or WITH … SELECT, or a UNION of them) that reads only
/// — no INTO, no locking, no statement after it. It runs in a read-only transaction anyway.
pub fn check_query(text: &str) -> Result<(), String> {
    use sqlparser::ast::{SetExpr, Statement};
    fn reads_only(body: &SetExpr) -> Result<(), String> {
        match body {
            SetExpr::Select(select) if select.into.is_some() => Err("SELECT … INTO writes".into()),
            SetExpr::Select(_) | SetExpr::Values(_) => Ok(()),
            SetExpr::Query(q) => query_reads_only(q),
            SetExpr::SetOperation { left, right, .. } => reads_only(left).and(reads_only(right)),
            other => Err(format!("only SELECT is allowed, not {other}")),
        }
    }
    fn query_reads_only(q: &sqlparser::ast::Query) -> Result<(), String> {
        if !q.locks.is_empty() {
            return Err("a query may not lock rows (FOR UPDATE / FOR SHARE)".into());
        }
        if let Some(with) = &q.with {
            for cte in &with.cte_tables {
                query_reads_only(&cte.query)?;
            }
        }
        reads_only(&q.body)
    }
    if text.len() > 20_000 {
        return Err("a query is at most 20,000 characters".into());
    }
    let statements =
        Parser::parse_sql(&GenericDialect {}, text).map_err(|e| format!("cannot be read: {e}"))?;
    match statements.as_slice() {
        [Statement::Query(q)] => query_reads_only(q),
        [_] => Err("must be a SELECT".into()),
        _ => Err("must be one statement".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(f: &Filter) -> String {
        f.sql(DbEngine::Postgres, &|c| format!("\"{c}\""))
    }

    #[test]
    fn comparisons_are_written_again_with_quoted_columns() {
        let f = Filter::parse("status <> 'draft' AND (amount >= -5 OR customer IN ('a', 'b''c'))").unwrap();
        assert_eq!(
            pg(&f),
            "(\"status\" <> 'draft') AND ((\"amount\" >= -5) OR (\"customer\" IN ('a', 'b''c')))"
        );
        assert_eq!(f.columns(), ["status", "amount", "customer"]);
        let f = Filter::parse("NOT deleted_at IS NULL AND id BETWEEN 1 AND 10").unwrap();
        assert_eq!(pg(&f), "(NOT (\"deleted_at\" IS NULL)) AND (\"id\" BETWEEN 1 AND 10)");
        let my = Filter::parse(r"note = 'a\b'").unwrap().sql(DbEngine::MySql, &|c| format!("`{c}`"));
        assert_eq!(my, r"`note` = 'a\\b'");
    }

    #[test]
    fn a_source_query_only_reads() {
        assert!(check_query(
            "SELECT id, total FROM orders o JOIN lines l ON l.order_id = o.id WHERE o.status <> 'draft'"
        )
        .is_ok());
        assert!(check_query("WITH t AS (SELECT id FROM a) SELECT * FROM t UNION SELECT id FROM b").is_ok());
        for bad in [
            "DELETE FROM orders",
            "SELECT 1; DROP TABLE orders",
            "SELECT * FROM orders FOR UPDATE",
            "SELECT * INTO copy FROM orders",
            "WITH gone AS (DELETE FROM orders RETURNING id) SELECT * FROM gone",
            "UPDATE orders SET x = 1",
        ] {
            assert!(check_query(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn anything_but_a_comparison_is_refused() {
        for hostile in [
            "status <> 'draft'; DROP TABLE orders",
            "1 = 1",
            "status = (SELECT max(status) FROM users)",
            "pg_sleep(10) IS NULL",
            "status = 'x' -- comment\n OR 1 = 1; DELETE FROM t",
            "\"Weird Col\" = 1",
            "id IN (SELECT id FROM t)",
            "status LIKE 'a%'",
            "amount + 1 > 2",
            "",
        ] {
            assert!(Filter::parse(hostile).is_err(), "{hostile:?} was accepted");
        }
    }
}
