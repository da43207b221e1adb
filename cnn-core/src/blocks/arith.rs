//! Integer arithmetic in arguments (`4 * d`, `(c + 7) / 8 * 8`, `k / 2`):
//! evaluated once a block's parameters are substituted, before any layer
//! reads the value. `/` floors, as Python's `//` on non-negative values.

use crate::ast::{BinOpKind, Value};
use crate::diag::Ctxt;
use syn::LitInt;

/// `value` with every arithmetic expression in it replaced by its result;
/// `None` after a spanned error on the expression (an operand that is not a
/// non-negative integer, overflow, division by zero, a negative result).
pub(crate) fn evaluate(value: &Value, cx: &mut Ctxt) -> Option<Value> {
    match value {
        Value::Binary(..) => {
            let n = integer(value, cx)?;
            let mut lit = LitInt::new(&n.to_string(), value.span());
            lit.set_span(value.span());
            Some(Value::Int(lit))
        }
        Value::Group(paren, inner) => match evaluate(inner, cx)? {
            int @ Value::Int(_) => Some(int),
            other => Some(Value::Group(*paren, Box::new(other))),
        },
        Value::Neg(minus, inner) => Some(Value::Neg(*minus, Box::new(evaluate(inner, cx)?))),
        Value::Tuple(paren, items) => {
            let items: Option<Vec<Value>> = items.iter().map(|v| evaluate(v, cx)).collect();
            Some(Value::Tuple(*paren, items?))
        }
        _ => Some(value.clone()),
    }
}

/// The value of an arithmetic operand or expression.
fn integer(value: &Value, cx: &mut Ctxt) -> Option<u64> {
    match value {
        Value::Int(lit) => match lit.base10_parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                cx.error(lit.span(), format!("`{lit}` does not fit in 64 bits"));
                None
            }
        },
        Value::Group(_, inner) => integer(inner, cx),
        Value::Binary(lhs, op, rhs) => {
            let (a, b) = (integer(lhs, cx)?, integer(rhs, cx)?);
            let result = match op.kind {
                BinOpKind::Add => a.checked_add(b),
                BinOpKind::Mul => a.checked_mul(b),
                BinOpKind::Sub if b > a => {
                    cx.error_spanned(
                        value,
                        format!(
                            "`{}` is negative: {a} - {b} = -{}\n= note: sizes and channels in arguments are non-negative integers",
                            value.render(),
                            b - a
                        ),
                    );
                    return None;
                }
                BinOpKind::Sub => Some(a - b),
                BinOpKind::Div if b == 0 => {
                    cx.error_spanned(value, format!("`{}` divides by zero", value.render()));
                    return None;
                }
                BinOpKind::Div => Some(a / b),
            };
            if result.is_none() {
                cx.error_spanned(
                    value,
                    format!(
                        "`{}` overflows 64 bits ({a} {} {b})",
                        value.render(),
                        op.kind.symbol()
                    ),
                );
            }
            result
        }
        Value::Word(w) => {
            cx.error(
                w.span(),
                format!(
                    "`{w}` in an arithmetic expression is neither a number nor a parameter of the block\n= help: arithmetic takes integers and the block's parameters: `4 * d`"
                ),
            );
            None
        }
        other => {
            cx.error_spanned(
                other,
                format!(
                    "arithmetic takes non-negative integers, found `{}`\n= note: `+ - * /` work on integers; `/` floors",
                    other.render()
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str) -> Result<String, String> {
        let value: Value = syn::parse_str(text).expect("parses");
        let mut cx = Ctxt::default();
        match evaluate(&value, &mut cx) {
            Some(v) => Ok(v.render()),
            None => Err(cx.messages().join("\n")),
        }
    }

    #[test]
    fn arithmetic_follows_the_usual_precedence_and_floors_division() {
        assert_eq!(eval("4 * 96").as_deref(), Ok("384"));
        assert_eq!(eval("(24 + 7) / 8 * 8").as_deref(), Ok("24"));
        assert_eq!(eval("2 + 3 * 4").as_deref(), Ok("14"));
        assert_eq!(eval("10 - 4 - 3").as_deref(), Ok("3"));
        assert_eq!(eval("7 / 2").as_deref(), Ok("3"));
        assert_eq!(eval("(3 + 1, 8 / 2)").as_deref(), Ok("(4, 4)"));
    }

    #[test]
    fn bad_arithmetic_is_an_error_on_the_expression() {
        assert!(eval("3 - 5").unwrap_err().contains("is negative"));
        assert!(eval("3 / (2 - 2)").unwrap_err().contains("divides by zero"));
        assert!(
            eval("18446744073709551615 + 1")
                .unwrap_err()
                .contains("overflows 64 bits")
        );
        assert!(
            eval("2 * 0.5")
                .unwrap_err()
                .contains("non-negative integers")
        );
        assert!(eval("2 * c").unwrap_err().contains("neither a number"));
    }
}
