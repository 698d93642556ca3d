//! `math` and `math/bits`.
//!
//! Rounding, `Abs`, `Pow` with an integral exponent, `Exp2` of an integer,
//! `Pow10`, `Copysign`, `Dim`, `MultipleOf` are exact decimals as in the
//! reference. `Exp`, `Log`, `Log10`, `Log2`, `Cbrt` and fractional `Pow`
//! are 24-digit decimals like the reference's (`transcendental.rs`). The
//! functions the reference itself computes in `f64` (`Sqrt`, `Sin`, …) print
//! exactly like the reference.

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive, Zero};

use super::transcendental;
use super::{Builtin, bigint_arg, decimal, float_arg, function, int_arg, number_arg, validator};
use crate::data::Data;
use crate::num::{Number, RoundMode};

const P: &str = "math";

fn float(value: f64) -> Result<Data, String> {
    Number::from_f64(value).map(Data::Number).ok_or_else(|| format!("invalid float {value}"))
}

fn round(args: &[Data], mode: RoundMode) -> Result<Data, String> {
    Ok(Data::Number(number_arg(args, 0)?.round_integral(mode).to_int_kind()))
}

macro_rules! float1 {
    ($name:literal, $f:expr) => {
        function(P, $name, 1, |a| float($f(float_arg(a, 0)?)))
    };
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    function(P, "Floor", 1, |a| round(a, RoundMode::Floor)),
    function(P, "Ceil", 1, |a| round(a, RoundMode::Ceiling)),
    function(P, "Trunc", 1, |a| round(a, RoundMode::Down)),
    function(P, "Round", 1, |a| round(a, RoundMode::HalfUp)),
    function(P, "RoundToEven", 1, |a| round(a, RoundMode::HalfEven)),
    validator(P, "MultipleOf", 2, |a| {
        let (x, y) = (number_arg(a, 0)?, number_arg(a, 1)?);
        if y.is_zero() {
            return Err("division by zero".to_string());
        }
        Ok(Data::Bool(x.div(y)?.is_integral()))
    }),
    function(P, "Abs", 1, |a| Ok(decimal(number_arg(a, 0)?.abs()))),
    function(P, "Copysign", 2, |a| {
        let (x, y) = (number_arg(a, 0)?, number_arg(a, 1)?);
        let magnitude = x.abs();
        Ok(decimal(if y.is_negative() { magnitude.neg() } else { magnitude }))
    }),
    function(P, "Dim", 2, |a| {
        let difference = number_arg(a, 0)?.sub(number_arg(a, 1)?);
        Ok(decimal(if difference.is_negative() { Number::from_i64(0) } else { difference }))
    }),
    validator(P, "Signbit", 1, |a| Ok(Data::Bool(number_arg(a, 0)?.is_negative()))),
    function(P, "Pow10", 1, |a| {
        let n = int_arg(a, 0)?;
        if n.unsigned_abs() > 100_000 {
            return Err("exponent out of range".to_string());
        }
        Ok(decimal(Number::from_parts(BigInt::from(1), n)))
    }),
    function(P, "Pow", 2, |a| pow(number_arg(a, 0)?, number_arg(a, 1)?)),
    function(P, "Exp2", 1, |a| pow(&Number::from_i64(2), number_arg(a, 0)?)),
    function(P, "Jacobi", 2, |a| jacobi(bigint_arg(a, 0)?, bigint_arg(a, 1)?)),
    function(P, "Exp", 1, |a| Ok(decimal(transcendental::exp_number(number_arg(a, 0)?)?))),
    function(P, "Log", 1, |a| Ok(decimal(transcendental::ln_number(number_arg(a, 0)?)?))),
    function(P, "Log10", 1, |a| Ok(decimal(transcendental::log10_number(number_arg(a, 0)?)?))),
    function(P, "Log2", 1, |a| Ok(decimal(transcendental::log2_number(number_arg(a, 0)?)?))),
    function(P, "Cbrt", 1, |a| Ok(decimal(transcendental::cbrt_number(number_arg(a, 0)?)?))),
    float1!("Sqrt", f64::sqrt),
    float1!("Sin", f64::sin),
    float1!("Cos", f64::cos),
    float1!("Tan", f64::tan),
    float1!("Asin", f64::asin),
    float1!("Acos", f64::acos),
    float1!("Atan", f64::atan),
    float1!("Sinh", f64::sinh),
    float1!("Cosh", f64::cosh),
    float1!("Tanh", f64::tanh),
    float1!("Asinh", f64::asinh),
    float1!("Acosh", f64::acosh),
    float1!("Atanh", f64::atanh),
    float1!("Expm1", f64::exp_m1),
    float1!("Log1p", f64::ln_1p),
    function(P, "Atan2", 2, |a| float(float_arg(a, 0)?.atan2(float_arg(a, 1)?))),
    function(P, "Hypot", 2, |a| float(float_arg(a, 0)?.hypot(float_arg(a, 1)?))),
    function(P, "Mod", 2, |a| float(float_arg(a, 0)? % float_arg(a, 1)?)),
    function(P, "Ldexp", 2, |a| {
        let exp = i32::try_from(int_arg(a, 1)?.clamp(-2000, 2000)).unwrap_or(0);
        float(float_arg(a, 0)? * 2f64.powi(exp))
    }),
];

pub(super) const BITS: &[Builtin] = &[
    function("math/bits", "Lsh", 2, |a| {
        let shift = int_arg(a, 1)?;
        if !(0..=1 << 20).contains(&shift) {
            return Err("shift out of range".to_string());
        }
        Ok(Data::Number(Number::from_bigint(bigint_arg(a, 0)? << shift as usize)))
    }),
    function("math/bits", "Rsh", 2, |a| {
        let shift = int_arg(a, 1)?;
        if shift < 0 {
            return Err("negative shift".to_string());
        }
        Ok(Data::Number(Number::from_bigint(bigint_arg(a, 0)? >> shift.min(1 << 30) as usize)))
    }),
    function("math/bits", "And", 2, |a| {
        Ok(Data::Number(Number::from_bigint(bigint_arg(a, 0)? & bigint_arg(a, 1)?)))
    }),
    function("math/bits", "Or", 2, |a| {
        Ok(Data::Number(Number::from_bigint(bigint_arg(a, 0)? | bigint_arg(a, 1)?)))
    }),
    function("math/bits", "Xor", 2, |a| {
        Ok(Data::Number(Number::from_bigint(bigint_arg(a, 0)? ^ bigint_arg(a, 1)?)))
    }),
    function("math/bits", "OnesCount", 1, |a| {
        let x = bigint_arg(a, 0)?;
        Ok(Data::Number(Number::from_i64(x.magnitude().count_ones() as i64)))
    }),
    function("math/bits", "Len", 1, |a| {
        Ok(Data::Number(Number::from_i64(bigint_arg(a, 0)?.bits() as i64)))
    }),
];

/// `x ** y`: exact for an integral `y` (repeated multiplication, a
/// negative power divides), rounded to 24 digits otherwise.
fn pow(x: &Number, y: &Number) -> Result<Data, String> {
    if let Some(n) = y.to_i64().filter(|n| n.unsigned_abs() <= 10_000) {
        let mut result = Number::from_i64(1);
        let mut base = x.clone();
        let mut e = n.unsigned_abs();
        while e > 0 {
            if e & 1 == 1 {
                result = result.mul(&base);
            }
            e >>= 1;
            if e > 0 {
                base = base.mul(&base);
            }
        }
        if n < 0 {
            result = Number::from_i64(1).div(&result)?;
        }
        return Ok(decimal(result));
    }
    transcendental::pow_number(x, y).map(decimal)
}

fn jacobi(a: BigInt, n: BigInt) -> Result<Data, String> {
    if n.is_negative() || (&n % 2u32).is_zero() {
        return Err(format!(
            "big: invalid 2nd argument to Int.Jacobi: need odd integer but got {n}"
        ));
    }
    let (mut a, mut n) = (a.mod_floor(&n), n);
    let mut result = 1i64;
    while !a.is_zero() {
        while (&a % 2u32).is_zero() {
            a /= 2u32;
            let r = (&n % 8u32).to_u32().unwrap_or(0);
            if r == 3 || r == 5 {
                result = -result;
            }
        }
        std::mem::swap(&mut a, &mut n);
        if (&a % 4u32).to_u32() == Some(3) && (&n % 4u32).to_u32() == Some(3) {
            result = -result;
        }
        a %= &n;
    }
    Ok(Data::Number(Number::from_i64(if n == BigInt::from(1) { result } else { 0 })))
}

/// Constants, printed as the reference prints them.
pub(super) fn constant(name: &str) -> Option<Data> {
    let text = match name {
        "E" => "2.71828182845904523536028747135266249775724709369995957496696763",
        "Pi" => "3.14159265358979323846264338327950288419716939937510582097494459",
        "Phi" => "1.61803398874989484820458683436563811772030917980576286213544861",
        "Sqrt2" => "1.41421356237309504880168872420969807856967187537694807317667974",
        "SqrtE" => "1.64872127070012814684865078781416357165377610071014801157507931",
        "SqrtPi" => "1.77245385090551602729816748334114518279754945612238712821380779",
        "SqrtPhi" => "1.27201964951406896425242246173749149171560804184009624861664038",
        "Ln2" => "0.693147180559945309417232121458176568075500134360255254120680009",
        "Log2E" => "1.442695040888963407359924681001892137426645954152985934135449408",
        "Ln10" => "2.3025850929940456840179914546843642076011014886287729760333278",
        "Log10E" => "0.43429448190325182765112891891660508229439700580366656611445378",
        "MaxExp" => "2147483647",
        "MinExp" => "-2147483648",
        "MaxPrec" => "4294967295",
        "ToNearestEven" | "Exact" => "0",
        "ToNearestAway" | "Above" => "1",
        "ToZero" => "2",
        "AwayFromZero" => "3",
        "ToNegativeInf" => "4",
        "ToPositiveInf" => "5",
        "Below" => "-1",
        "MaxBase" => "62",
        _ => return None,
    };
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let number = Number::parse_literal(digits).ok()?;
    Some(Data::Number(if negative { number.neg() } else { number }))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn t(name: &str, args: Vec<crate::data::Data>) -> String {
        text(call("math", name, args))
    }

    #[test]
    fn math_like_the_reference() {
        assert_eq!(t("Floor", vec![n("2.7")]), "2");
        assert_eq!(t("Ceil", vec![n("2.1")]), "3");
        assert_eq!(t("Round", vec![n("2.5")]), "3");
        assert_eq!(t("Round", vec![n("-2.5")]), "-3");
        assert_eq!(t("Floor", vec![n("-2.5")]), "-3");
        assert_eq!(t("Abs", vec![n("-3")]), "3");
        assert_eq!(t("Abs", vec![n("-2.50")]), "2.50");
        assert_eq!(t("Sqrt", vec![n("16")]), "4");
        assert_eq!(t("Sqrt", vec![n("2")]), "1.4142135623730951");
        assert_eq!(t("Sqrt", vec![n("1e12")]), "1E+6");
        assert_eq!(t("Sqrt", vec![n("1e6")]), "1000");
        assert_eq!(t("Sqrt", vec![n("1e-10")]), "0.00001");
        assert_eq!(t("Sin", vec![n("1")]), "0.8414709848078965");
        assert_eq!(t("Pow", vec![n("2"), n("10")]), "1024");
        assert_eq!(t("Pow", vec![n("2.0"), n("3")]), "8.000");
        assert_eq!(t("Pow", vec![n("2"), n("-2")]), "0.25");
        assert_eq!(t("Trunc", vec![n("-2.7")]), "-2");
        assert_eq!(t("Pow10", vec![n("3")]), "1E+3");
        assert_eq!(t("Exp2", vec![n("10")]), "1024");
        assert_eq!(t("MultipleOf", vec![n("10"), n("2.5")]), "true");
        assert_eq!(t("Dim", vec![n("5"), n("3.0")]), "2.0");
        assert_eq!(t("Copysign", vec![n("3"), n("-1")]), "-3");
        assert_eq!(
            cue_text_of(super::constant("Pi")),
            "3.14159265358979323846264338327950288419716939937510582097494459"
        );
        assert_eq!(cue_text_of(super::constant("MaxBase")), "62");
        assert_eq!(text(call("math/bits", "Lsh", vec![n("1"), n("70")])), "1180591620717411303424");
        assert_eq!(text(call("math/bits", "OnesCount", vec![n("255")])), "8");
        assert_eq!(t("Jacobi", vec![n("2"), n("7")]), "1");
    }

    fn cue_text_of(value: Option<crate::data::Data>) -> String {
        text(value.ok_or_else(String::new))
    }
}
