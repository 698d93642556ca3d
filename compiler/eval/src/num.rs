//! CUE numbers: exact decimals with a kind (`int` or `float`).
//!
//! A [`Number`] is `(-1)^negative × coefficient × 10^exponent`, the model of
//! the General Decimal Arithmetic specification that the reference
//! implementation uses (through `apd`). The coefficient and exponent are kept
//! as written, so `2.50` prints `2.50` and `1e3` prints `1E+3`; negative zero
//! exists as in the reference (`-1 * 0.0` prints `-0.0`).
//!
//! Addition, subtraction and multiplication are exact. Division (`/`) is exact
//! when the quotient fits in [`DIV_PRECISION`] significant digits and is
//! otherwise rounded half-up to that many digits, as the reference does.
//!
//! Invariant: no operation panics; exponents of literals are bounded by
//! [`MAX_EXPONENT`], so no operation builds an absurdly large coefficient from
//! a small source text.

use std::cmp::Ordering;
use std::fmt;

use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{Euclid, Signed, ToPrimitive, Zero};

/// Significant digits of a rounded quotient, as in the reference.
pub const DIV_PRECISION: usize = 24;

/// Largest absolute exponent a literal may have (the reference's limit).
pub const MAX_EXPONENT: i64 = 100_000;

/// A CUE number.
#[derive(Clone, Debug, PartialEq)]
pub struct Number {
    negative: bool,
    coeff: BigUint,
    exp: i64,
    int: bool,
}

fn pow10(n: u64) -> BigUint {
    num_traits::pow(BigUint::from(10u32), usize::try_from(n).unwrap_or(usize::MAX))
}

fn num_digits(value: &BigUint) -> usize {
    if value.is_zero() {
        return 1;
    }
    value.to_str_radix(10).len()
}

impl Number {
    fn new(negative: bool, coeff: BigUint, exp: i64, int: bool) -> Number {
        Number { negative, coeff, exp, int }
    }

    /// Parses CUE number literal text exactly as lexed.
    pub fn parse_literal(text: &str) -> Result<Number, String> {
        let invalid = || format!("invalid number literal {text:?}");
        let cleaned: String = text.chars().filter(|&c| c != '_').collect();
        if cleaned.is_empty() {
            return Err(invalid());
        }
        let lower = cleaned.to_ascii_lowercase();
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
            if let Some(digits) = lower.strip_prefix(prefix) {
                let value = BigUint::parse_bytes(digits.as_bytes(), radix).ok_or_else(invalid)?;
                return Ok(Number::new(false, value, 0, true));
            }
        }
        // Multipliers.
        let multipliers: [(&str, u64, u32); 10] = [
            ("Ki", 1024, 1),
            ("Mi", 1024, 2),
            ("Gi", 1024, 3),
            ("Ti", 1024, 4),
            ("Pi", 1024, 5),
            ("K", 1000, 1),
            ("M", 1000, 2),
            ("G", 1000, 3),
            ("T", 1000, 4),
            ("P", 1000, 5),
        ];
        for (suffix, base, power) in multipliers {
            if let Some(mantissa) = cleaned.strip_suffix(suffix) {
                let value = Number::parse_decimal(mantissa).ok_or_else(invalid)?;
                let factor = Number::from_bigint(BigInt::from(num_traits::pow(
                    BigUint::from(base),
                    power as usize,
                )));
                let product = value.mul(&factor);
                if !product.is_integral() {
                    return Err(format!("invalid number literal {text:?}: not an integer"));
                }
                let int = product.to_bigint().ok_or_else(invalid)?;
                return Ok(Number::from_bigint(int));
            }
        }
        Number::parse_decimal(&cleaned).ok_or_else(invalid)
    }

    /// Parses `digits[.digits][e[+-]digits]`, `.5`, `1.`.
    fn parse_decimal(text: &str) -> Option<Number> {
        let (mantissa, exponent) = match text.find(['e', 'E']) {
            Some(index) => (&text[..index], Some(&text[index + 1..])),
            None => (text, None),
        };
        let (whole, fraction) = match mantissa.find('.') {
            Some(index) => (&mantissa[..index], Some(&mantissa[index + 1..])),
            None => (mantissa, None),
        };
        let fraction_digits = fraction.unwrap_or("");
        if whole.is_empty() && fraction_digits.is_empty() {
            return None;
        }
        if !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction_digits.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let digits = format!("{whole}{fraction_digits}");
        let coeff = BigUint::parse_bytes(digits.as_bytes(), 10)?;
        let mut exp = -i64::try_from(fraction_digits.len()).ok()?;
        if let Some(exponent) = exponent {
            let (negative, digits) = match exponent.as_bytes().first() {
                Some(b'-') => (true, &exponent[1..]),
                Some(b'+') => (false, &exponent[1..]),
                _ => (false, exponent),
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let value: i64 = digits.parse().ok().filter(|v: &i64| *v <= MAX_EXPONENT)?;
            exp += if negative { -value } else { value };
        }
        if exp.abs() > MAX_EXPONENT + 1_000 {
            return None;
        }
        let int = fraction.is_none() && exponent.is_none();
        Some(Number::new(false, coeff, exp, int))
    }

    pub fn from_i64(value: i64) -> Number {
        Number::from_bigint(BigInt::from(value))
    }

    pub fn from_bigint(value: BigInt) -> Number {
        let (sign, magnitude) = value.into_parts();
        Number::new(sign == Sign::Minus, magnitude, 0, true)
    }

    /// A float as the reference converts Go's `float64` results: the
    /// shortest digits that round-trip, laid out as Go's `fmt.Sprint` does
    /// (`100`, `0.0015`, `1e+06`, `1e-05`) and read back as a decimal, so
    /// `100.0` gives `100` and `1e6` gives `1E+6`. `None` for NaN and
    /// infinities.
    pub fn from_f64(value: f64) -> Option<Number> {
        if !value.is_finite() {
            return None;
        }
        let text = format!("{:e}", value.abs());
        let mut number = Number::parse_decimal(&text)?;
        let digits = num_digits(&number.coeff) as i64;
        let scientific = number.exp + digits - 1;
        if !number.coeff.is_zero() && (-4..6).contains(&scientific) && number.exp > 0 {
            number.coeff *= pow10(number.exp.unsigned_abs());
            number.exp = 0;
        }
        number.negative = value.is_sign_negative();
        number.int = false;
        Some(number)
    }

    /// Whether the kind is `int`.
    pub fn is_int(&self) -> bool {
        self.int
    }

    /// Whether the value has no fractional part.
    pub fn is_integral(&self) -> bool {
        if self.exp >= 0 || self.coeff.is_zero() {
            return true;
        }
        let divisor = pow10(self.exp.unsigned_abs());
        (&self.coeff % divisor).is_zero()
    }

    pub fn to_float_kind(mut self) -> Number {
        self.int = false;
        self
    }

    pub fn is_zero(&self) -> bool {
        self.coeff.is_zero()
    }

    pub fn is_negative(&self) -> bool {
        self.negative && !self.coeff.is_zero()
    }

    fn signed_coeff(&self) -> BigInt {
        let sign = if self.negative { Sign::Minus } else { Sign::Plus };
        BigInt::from_biguint(sign, self.coeff.clone())
    }

    /// The coefficients of both numbers scaled to the smaller exponent.
    fn aligned(&self, other: &Number) -> (BigInt, BigInt, i64) {
        let exp = self.exp.min(other.exp);
        let scale = |n: &Number| {
            let shift = (n.exp - exp).unsigned_abs();
            BigInt::from_biguint(Sign::Plus, pow10(shift)) * n.signed_coeff()
        };
        (scale(self), scale(other), exp)
    }

    fn from_signed(value: BigInt, exp: i64, int: bool, zero_negative: bool) -> Number {
        let (sign, magnitude) = value.into_parts();
        let negative = if magnitude.is_zero() { zero_negative } else { sign == Sign::Minus };
        Number::new(negative, magnitude, exp, int)
    }

    pub fn add(&self, other: &Number) -> Number {
        let (a, b, exp) = self.aligned(other);
        let zero_negative = self.negative && other.negative;
        Number::from_signed(a + b, exp, self.int && other.int, zero_negative)
    }

    pub fn sub(&self, other: &Number) -> Number {
        self.add(&other.negated_raw())
    }

    /// Negation that keeps the sign of zero flipping (for subtraction).
    fn negated_raw(&self) -> Number {
        let mut result = self.clone();
        result.negative = !result.negative;
        result
    }

    pub fn mul(&self, other: &Number) -> Number {
        Number::new(
            self.negative != other.negative,
            &self.coeff * &other.coeff,
            self.exp + other.exp,
            self.int && other.int,
        )
    }

    /// `/`: always a float; exact when it fits, else rounded half-up to
    /// [`DIV_PRECISION`] digits (the algorithm of the specification).
    pub fn div(&self, other: &Number) -> Result<Number, String> {
        if other.is_zero() {
            return Err("division by zero".to_string());
        }
        let negative = self.negative != other.negative;
        if self.is_zero() {
            return Ok(Number::new(negative, BigUint::zero(), self.exp - other.exp, false));
        }
        let mut dividend = self.coeff.clone();
        let mut divisor = other.coeff.clone();
        let mut adjust: i64 = 0;
        let dividend_digits = num_digits(&dividend) as i64;
        let divisor_digits = num_digits(&divisor) as i64;
        // Scale so that divisor <= dividend < 10 * divisor.
        if dividend < divisor {
            let shift = (divisor_digits - dividend_digits).max(0);
            dividend *= pow10(shift.unsigned_abs());
            adjust += shift;
            if dividend < divisor {
                dividend *= 10u32;
                adjust += 1;
            }
        } else {
            let shift = (dividend_digits - divisor_digits).max(0);
            let scaled = &divisor * pow10(shift.unsigned_abs());
            if scaled <= dividend {
                divisor = scaled;
                adjust -= shift;
            } else if shift > 0 {
                divisor *= pow10((shift - 1).unsigned_abs());
                adjust -= shift - 1;
            }
        }
        let mut quotient = BigUint::zero();
        loop {
            let (digit, rest) = dividend.div_rem(&divisor);
            quotient += digit;
            dividend = rest;
            if (dividend.is_zero() && adjust >= 0) || num_digits(&quotient) >= DIV_PRECISION {
                break;
            }
            quotient *= 10u32;
            dividend *= 10u32;
            adjust += 1;
        }
        let mut diff = 0;
        if !dividend.is_zero() {
            let twice: BigUint = dividend * 2u32;
            if twice >= divisor {
                let before = num_digits(&quotient);
                quotient += 1u32;
                if num_digits(&quotient) > before {
                    quotient /= 10u32;
                    diff = 1;
                }
            }
        }
        Ok(Number::new(negative, quotient, self.exp - other.exp - adjust + diff, false))
    }

    fn int_operands(&self, other: &Number) -> Result<(BigInt, BigInt), String> {
        let a = self.to_bigint().ok_or_else(|| format!("cannot use {self} (type float) as int"))?;
        let b =
            other.to_bigint().ok_or_else(|| format!("cannot use {other} (type float) as int"))?;
        if b.is_zero() {
            return Err("division by zero".to_string());
        }
        Ok((a, b))
    }

    /// `div`: Euclidean division.
    pub fn int_div(&self, other: &Number) -> Result<Number, String> {
        let (a, b) = self.int_operands(other)?;
        Ok(Number::from_bigint(a.div_euclid(&b)))
    }

    /// `mod`: Euclidean modulus (never negative).
    pub fn int_mod(&self, other: &Number) -> Result<Number, String> {
        let (a, b) = self.int_operands(other)?;
        Ok(Number::from_bigint(a.rem_euclid(&b)))
    }

    /// `quo`: truncated division.
    pub fn quo(&self, other: &Number) -> Result<Number, String> {
        let (a, b) = self.int_operands(other)?;
        Ok(Number::from_bigint(a / b))
    }

    /// `rem`: truncated remainder (sign of the dividend).
    pub fn rem(&self, other: &Number) -> Result<Number, String> {
        let (a, b) = self.int_operands(other)?;
        Ok(Number::from_bigint(a % b))
    }

    /// Unary minus; the negation of zero is positive zero, as in the reference.
    pub fn neg(&self) -> Number {
        let mut result = self.clone();
        result.negative = !self.negative && !self.coeff.is_zero();
        result
    }

    /// Absolute value (keeps kind, coefficient and exponent).
    pub fn abs(&self) -> Number {
        let mut result = self.clone();
        result.negative = false;
        result
    }

    /// Numeric comparison; the kind and the representation are ignored.
    #[allow(clippy::should_implement_trait)]
    pub fn cmp(&self, other: &Number) -> Ordering {
        if self.is_zero() && other.is_zero() {
            return Ordering::Equal;
        }
        let (a, b, _) = self.aligned(other);
        a.cmp(&b)
    }

    /// The integer value, if integral and within `i64`.
    pub fn to_i64(&self) -> Option<i64> {
        self.to_bigint()?.to_i64()
    }

    pub fn to_f64(&self) -> f64 {
        let text = format!("{}{}e{}", if self.negative { "-" } else { "" }, self.coeff, self.exp);
        text.parse().unwrap_or(f64::NAN)
    }

    /// The integer value, if integral.
    pub fn to_bigint(&self) -> Option<BigInt> {
        if !self.is_integral() {
            return None;
        }
        let magnitude = if self.exp >= 0 {
            &self.coeff * pow10(self.exp.unsigned_abs())
        } else {
            &self.coeff / pow10(self.exp.unsigned_abs())
        };
        let sign = if self.negative { Sign::Minus } else { Sign::Plus };
        Some(BigInt::from_biguint(sign, magnitude))
    }

    /// The coefficient and exponent as written (`value = coeff × 10^exp`).
    pub fn parts(&self) -> (BigInt, i64) {
        (self.signed_coeff(), self.exp)
    }

    /// A float built from a coefficient and an exponent.
    pub fn from_parts(coeff: BigInt, exp: i64) -> Number {
        let negative = coeff.is_negative();
        Number::new(negative, coeff.into_parts().1, exp, false)
    }

    /// The same value with the kind set to `int` (the caller checks that it
    /// is integral).
    pub fn to_int_kind(&self) -> Number {
        match self.to_bigint() {
            Some(value) => {
                let mut result = Number::from_bigint(value);
                result.negative = self.negative;
                result
            }
            None => {
                let mut result = self.clone();
                result.int = true;
                result
            }
        }
    }

    /// A result of decimal arithmetic as the reference converts it: kind int
    /// when the value is integral, float otherwise; the representation is
    /// kept (`8.000` stays `8.000`).
    pub fn decimal_result(mut self) -> Number {
        self.int = self.is_integral();
        self
    }

    /// Rounds to an integral value with the given mode, keeping exponent 0
    /// (the kind is unchanged).
    pub fn round_integral(&self, mode: RoundMode) -> Number {
        if self.exp >= 0 {
            return self.clone();
        }
        let divisor = pow10(self.exp.unsigned_abs());
        let (quotient, remainder) = self.coeff.div_rem(&divisor);
        let up = match mode {
            RoundMode::Down => false,
            RoundMode::Ceiling => !self.negative && !remainder.is_zero(),
            RoundMode::Floor => self.negative && !remainder.is_zero(),
            RoundMode::HalfUp => remainder * 2u32 >= divisor,
            RoundMode::HalfEven => {
                let twice = remainder * 2u32;
                twice > divisor || (twice == divisor && quotient.is_odd())
            }
        };
        let coeff = if up { quotient + 1u32 } else { quotient };
        Number::new(self.negative, coeff, 0, self.int)
    }
}

/// Rounding modes for [`Number::round_integral`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoundMode {
    /// Toward zero.
    Down,
    /// Toward +infinity.
    Ceiling,
    /// Toward -infinity.
    Floor,
    /// Nearest, ties away from zero.
    HalfUp,
    /// Nearest, ties to even.
    HalfEven,
}

impl fmt::Display for Number {
    /// As `cue export` prints: the to-scientific-string form of the decimal
    /// specification, for both kinds (ints made by literals and integer
    /// arithmetic have exponent 0 and so print as plain digits).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        let digits = self.coeff.to_str_radix(10);
        let len = digits.len() as i64;
        let adjusted = self.exp + len - 1;
        if self.exp <= 0 && adjusted >= -6 {
            if self.exp == 0 {
                return f.write_str(&digits);
            }
            let point = len + self.exp;
            if point > 0 {
                let (whole, fraction) = digits.split_at(point.unsigned_abs() as usize);
                return write!(f, "{whole}.{fraction}");
            }
            let zeros = "0".repeat((-point).unsigned_abs() as usize);
            return write!(f, "0.{zeros}{digits}");
        }
        let (first, rest) = digits.split_at(1);
        f.write_str(first)?;
        if !rest.is_empty() {
            write!(f, ".{rest}")?;
        }
        let sign = if adjusted < 0 { '-' } else { '+' };
        write!(f, "E{sign}{}", adjusted.unsigned_abs())
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(Number::cmp(self, other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(text: &str) -> Number {
        Number::parse_literal(text).unwrap()
    }

    #[test]
    fn literals_print_like_the_reference() {
        let cases = [
            ("1.5", "1.5", false),
            ("2.50", "2.50", false),
            ("1e3", "1E+3", false),
            ("1E3", "1E+3", false),
            (".5e2", "5E+1", false),
            ("1.5e-3", "0.0015", false),
            ("1e-7", "1E-7", false),
            ("0.0000001", "1E-7", false),
            ("1e-6", "0.000001", false),
            ("1.", "1", false),
            ("1.5M", "1500000", true),
            ("1Ki", "1024", true),
            ("1.5Gi", "1610612736", true),
            ("0.5K", "500", true),
            ("0x1F", "31", true),
            ("0o17", "15", true),
            ("0b101", "5", true),
            ("1_000", "1000", true),
            ("123456789012345678901234567890", "123456789012345678901234567890", true),
            ("1.0e10", "1.0E+10", false),
            ("100.0", "100.0", false),
            ("0.0", "0.0", false),
            ("1e100", "1E+100", false),
            ("12.345e1", "123.45", false),
            ("12e-8", "1.2E-7", false),
            ("0.0000012", "0.0000012", false),
            (
                "3.14159265358979323846264338327950288419716939937510582097494459",
                "3.14159265358979323846264338327950288419716939937510582097494459",
                false,
            ),
        ];
        for (text, printed, int) in cases {
            let number = lit(text);
            assert_eq!(number.to_string(), printed, "{text}");
            assert_eq!(number.is_int(), int, "{text}");
        }
        assert!(Number::parse_literal("1.5K5").is_err());
        assert!(Number::parse_literal("0x").is_err());
        assert!(Number::parse_literal("1e999999999").is_err());
    }

    #[test]
    fn arithmetic_prints_like_the_reference() {
        let div = |a: &str, b: &str| lit(a).div(&lit(b)).unwrap().to_string();
        assert_eq!(lit("0.1").add(&lit("0.2")).to_string(), "0.3");
        assert_eq!(div("1.0", "3.0"), "0.333333333333333333333333");
        assert_eq!(div("6", "3"), "2");
        assert_eq!(div("2", "3"), "0.666666666666666666666667");
        assert_eq!(div("10", "4"), "2.5");
        assert_eq!(div("7.0", "2"), "3.5");
        assert_eq!(div("1", "7"), "0.142857142857142857142857");
        assert_eq!(div("100000000000000000000000000.0", "3"), "3.33333333333333333333333E+25");
        assert_eq!(
            div("100000000000000000000000000000000000000000000000000", "1"),
            "1.00000000000000000000000E+50"
        );
        assert_eq!(div("1.00", "2"), "0.50");
        assert_eq!(div("1", "1e3"), "0.001");
        assert_eq!(div("1e3", "1"), "1E+3");
        assert_eq!(div("0.9999999999999999999999999", "1"), "1.00000000000000000000000");
        assert_eq!(div("0", "5"), "0");
        assert_eq!(div("0.0", "5"), "0.0");
        assert_eq!(lit("0").div(&lit("5")).unwrap().neg().to_string(), "0");
        assert_eq!(lit("1").div(&lit("0")).unwrap_err(), "division by zero");
        assert_eq!(
            lit("2").neg().div(&lit("3")).unwrap().to_string(),
            "-0.666666666666666666666667"
        );
        assert_eq!(lit("1.0").mul(&lit("3")).to_string(), "3.0");
        assert_eq!(lit("2.5").mul(&lit("4")).to_string(), "10.0");
        assert_eq!(lit("1e3").mul(&lit("1e3")).to_string(), "1E+6");
        assert_eq!(lit("1e3").add(&lit("1")).to_string(), "1001");
        assert_eq!(lit("1.10").add(&lit("1.1")).to_string(), "2.20");
        assert_eq!(lit("3").sub(&lit("1.5")).to_string(), "1.5");
        assert_eq!(lit("5.0").sub(&lit("5.0")).to_string(), "0.0");
        assert_eq!(lit("1e3").sub(&lit("1e3")).to_string(), "0E+3");
        // Signed zeros.
        let minus_one = lit("1").neg();
        assert_eq!(minus_one.mul(&lit("0.0")).to_string(), "-0.0");
        assert_eq!(minus_one.mul(&lit("0")).to_string(), "-0");
        assert_eq!(lit("0.0").neg().to_string(), "0.0");
        assert_eq!(lit("0.0").mul(&minus_one).add(&lit("0.0")).to_string(), "0.0");
        assert_eq!(lit("0.0").mul(&minus_one).sub(&lit("0.0")).to_string(), "-0.0");
        assert_eq!(lit("0").div(&minus_one).unwrap().to_string(), "-0");
        assert_eq!(lit("1.5").neg().to_string(), "-1.5");
    }

    #[test]
    fn integer_division() {
        let n = Number::from_i64;
        let cases = [
            (5, -3, -1, 2, -1, 2),
            (-5, 3, -2, 1, -1, -2),
            (7, 2, 3, 1, 3, 1),
            (-7, -2, 4, 1, 3, -1),
        ];
        for (a, b, div, modulo, quo, rem) in cases {
            assert_eq!(n(a).int_div(&n(b)).unwrap(), n(div), "{a} div {b}");
            assert_eq!(n(a).int_mod(&n(b)).unwrap(), n(modulo), "{a} mod {b}");
            assert_eq!(n(a).quo(&n(b)).unwrap(), n(quo), "{a} quo {b}");
            assert_eq!(n(a).rem(&n(b)).unwrap(), n(rem), "{a} rem {b}");
        }
        assert_eq!(n(1).int_div(&n(0)).unwrap_err(), "division by zero");
    }

    #[test]
    fn conversions_and_comparison() {
        assert_eq!(lit("1.5").cmp(&lit("1.49")), Ordering::Greater);
        assert_eq!(lit("1.0").cmp(&lit("1")), Ordering::Equal);
        assert_eq!(lit("0.0").mul(&lit("1").neg()).cmp(&lit("0")), Ordering::Equal);
        assert_eq!(lit("2").neg().cmp(&lit("1e-9")), Ordering::Less);
        assert!(lit("2.0").is_integral());
        assert!(!lit("2.5").is_integral());
        assert_eq!(lit("2.0").to_i64(), Some(2));
        assert_eq!(lit("1e3").to_i64(), Some(1000));
        assert_eq!(lit("2.5").to_i64(), None);
        assert_eq!(lit("1.5e-3").to_f64(), 0.0015);
        assert_eq!(Number::from_f64(0.1).unwrap().to_string(), "0.1");
        assert_eq!(Number::from_f64(2.0).unwrap().to_string(), "2");
        assert_eq!(Number::from_f64(100.0).unwrap().to_string(), "100");
        assert_eq!(Number::from_f64(1e6).unwrap().to_string(), "1E+6");
        assert_eq!(Number::from_f64(1e-5).unwrap().to_string(), "0.00001");
        assert_eq!(Number::from_f64(123.456).unwrap().to_string(), "123.456");
        assert_eq!(Number::from_f64(-1.5).unwrap().to_string(), "-1.5");
        assert!(Number::from_f64(f64::NAN).is_none());
        assert_eq!(lit("2.7").round_integral(RoundMode::Floor).to_string(), "2");
        assert_eq!(lit("2.5").neg().round_integral(RoundMode::HalfUp).to_string(), "-3");
        assert_eq!(lit("2.5").round_integral(RoundMode::HalfEven).to_string(), "2");
    }
}
