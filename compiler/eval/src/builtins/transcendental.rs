//! `math.Exp`, `Log`, `Log10`, `Log2`, `Cbrt` and `Pow` with a fractional
//! exponent in decimal arithmetic, rounded to 24 significant digits as the
//! reference computes them (`apd` with a precision of 24): `math.Exp(1)` is
//! `2.71828182845904523536029`, `math.Cbrt(27)` is
//! `3.00000000000000000000000`.
//!
//! Intermediate values carry [`WORK_DIGITS`] significant digits, so the
//! result is the exact value correctly rounded. `Log2` divides the rounded
//! logarithms of `x` and 2, as the reference does (`math.Log2(8)` is
//! `3.00000000000000000000001`, `math.Log2(0.5)` is `-1`).
//!
//! Invariant: arguments are bounded before any series runs (`Exp` refuses
//! `|x| > 100000`), so no input makes these loops run long or numbers grow
//! without end.

use std::cmp::Ordering;

use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};

use crate::num::{DIV_PRECISION, Number};

/// Significant digits of intermediate results.
const WORK_DIGITS: usize = 64;

/// Largest `|x|` for `Exp` (the reference overflows near 23 × its precision,
/// raised up to 1000 digits).
const MAX_EXP_ARGUMENT: i64 = 100_000;

/// A decimal `mantissa × 10^exponent` with at most [`WORK_DIGITS`] digits.
#[derive(Clone, Debug)]
struct Wide {
    mantissa: BigInt,
    exponent: i64,
}

fn pow10(n: u64) -> BigInt {
    num_traits::pow(BigInt::from(10u32), usize::try_from(n).unwrap_or(usize::MAX))
}

fn digit_count(value: &BigInt) -> usize {
    if value.is_zero() { 1 } else { value.magnitude().to_str_radix(10).len() }
}

impl Wide {
    fn from_number(number: &Number) -> Wide {
        let (mantissa, exponent) = number.parts();
        Wide { mantissa, exponent }.trimmed()
    }

    fn int(value: i64) -> Wide {
        Wide { mantissa: BigInt::from(value), exponent: 0 }
    }

    fn is_zero(&self) -> bool {
        self.mantissa.is_zero()
    }

    fn is_negative(&self) -> bool {
        self.mantissa.is_negative()
    }

    /// The power of ten just above the leading digit: `1 ≤ |x| < 10` gives 1.
    fn magnitude(&self) -> i64 {
        digit_count(&self.mantissa) as i64 + self.exponent
    }

    /// Drops digits past [`WORK_DIGITS`] (truncating).
    fn trimmed(self) -> Wide {
        let digits = digit_count(&self.mantissa);
        if digits <= WORK_DIGITS {
            return self;
        }
        let drop = (digits - WORK_DIGITS) as u64;
        Wide { mantissa: self.mantissa / pow10(drop), exponent: self.exponent + drop as i64 }
    }

    fn neg(&self) -> Wide {
        Wide { mantissa: -self.mantissa.clone(), exponent: self.exponent }
    }

    fn mul(&self, other: &Wide) -> Wide {
        Wide {
            mantissa: &self.mantissa * &other.mantissa,
            exponent: self.exponent + other.exponent,
        }
        .trimmed()
    }

    fn add(&self, other: &Wide) -> Wide {
        if self.is_zero() {
            return other.clone();
        }
        if other.is_zero() {
            return self.clone();
        }
        // A term below the last kept digit of the other changes nothing.
        let gap = self.magnitude() - other.magnitude();
        if gap > WORK_DIGITS as i64 + 2 {
            return self.clone();
        }
        if -gap > WORK_DIGITS as i64 + 2 {
            return other.clone();
        }
        let exponent = self.exponent.min(other.exponent);
        let scale = |value: &Wide| &value.mantissa * pow10((value.exponent - exponent) as u64);
        Wide { mantissa: scale(self) + scale(other), exponent }.trimmed()
    }

    fn sub(&self, other: &Wide) -> Wide {
        self.add(&other.neg())
    }

    /// `self / other`, `other` not zero.
    fn div(&self, other: &Wide) -> Wide {
        let shift = (WORK_DIGITS + 2 + digit_count(&other.mantissa))
            .saturating_sub(digit_count(&self.mantissa)) as u64;
        let numerator = &self.mantissa * pow10(shift);
        Wide {
            mantissa: numerator / &other.mantissa,
            exponent: self.exponent - other.exponent - shift as i64,
        }
        .trimmed()
    }

    fn cmp(&self, other: &Wide) -> Ordering {
        match self.sub(other).mantissa.sign() {
            Sign::Minus => Ordering::Less,
            Sign::NoSign => Ordering::Equal,
            Sign::Plus => Ordering::Greater,
        }
    }

    /// Rounded half-even to `digits` significant digits, trailing zeros kept.
    fn round(&self, digits: usize) -> Number {
        let count = digit_count(&self.mantissa);
        let negative = self.is_negative();
        let magnitude = BigInt::from_biguint(Sign::Plus, self.mantissa.magnitude().clone());
        let (mut coefficient, mut exponent) = if count > digits {
            let drop = (count - digits) as u64;
            let divisor = pow10(drop);
            let (quotient, remainder) = magnitude.div_rem(&divisor);
            let twice: BigInt = remainder * 2;
            let up = match twice.cmp(&divisor) {
                Ordering::Greater => true,
                Ordering::Equal => quotient.is_odd(),
                Ordering::Less => false,
            };
            (if up { quotient + 1 } else { quotient }, self.exponent + drop as i64)
        } else {
            let pad = (digits - count) as u64;
            (magnitude * pow10(pad), self.exponent - pad as i64)
        };
        if digit_count(&coefficient) > digits {
            coefficient /= 10;
            exponent += 1;
        }
        let signed = if negative { -coefficient } else { coefficient };
        Number::from_parts(signed, exponent)
    }
}

/// `atanh(z) = z + z³/3 + z⁵/5 + …` for `|z| ≤ 1/3`.
fn atanh(z: &Wide) -> Wide {
    let square = z.mul(z);
    let mut power = z.clone();
    let mut sum = z.clone();
    let limit = z.magnitude() - WORK_DIGITS as i64 - 4;
    let mut k = 1i64;
    loop {
        power = power.mul(&square);
        k += 2;
        let term = power.div(&Wide::int(k));
        if term.is_zero() || term.magnitude() < limit {
            return sum;
        }
        sum = sum.add(&term);
    }
}

fn ln2() -> Wide {
    atanh(&Wide::int(1).div(&Wide::int(3))).mul(&Wide::int(2))
}

fn ln10() -> Wide {
    // ln 10 = 3 ln 2 + ln 1.25, and ln 1.25 = 2 atanh(1/9).
    let ln_1_25 = atanh(&Wide::int(1).div(&Wide::int(9))).mul(&Wide::int(2));
    ln2().mul(&Wide::int(3)).add(&ln_1_25)
}

/// The natural logarithm of `x > 0`.
fn ln(x: &Wide) -> Wide {
    let half = Wide { mantissa: BigInt::from(5), exponent: -1 };
    let two = Wide::int(2);
    if x.cmp(&half) == Ordering::Greater && x.cmp(&two) == Ordering::Less {
        // Near 1, directly: no cancellation between large terms.
        let one = Wide::int(1);
        return atanh(&x.sub(&one).div(&x.add(&one))).mul(&two);
    }
    // x = y × 10^k × 2^j with 1 ≤ y ≤ 1.5.
    let k = x.magnitude() - 1;
    let mut y = Wide { mantissa: x.mantissa.clone(), exponent: x.exponent - k };
    let limit = Wide { mantissa: BigInt::from(15), exponent: -1 };
    let mut j = 0i64;
    while y.cmp(&limit) == Ordering::Greater {
        y = y.div(&two);
        j += 1;
    }
    let one = Wide::int(1);
    let ln_y = atanh(&y.sub(&one).div(&y.add(&one))).mul(&two);
    ln_y.add(&ln2().mul(&Wide::int(j))).add(&ln10().mul(&Wide::int(k)))
}

/// `e^x` for `|x| ≤ MAX_EXP_ARGUMENT`: `x = n ln 2 + r` with `|r| ≤ ln 2 / 2`,
/// a Taylor series for `e^r`, then a multiplication by `2^n`.
fn exp(x: &Wide) -> Wide {
    let ln_2 = ln2();
    let quotient = x.div(&ln_2);
    let n = round_to_i64(&quotient);
    let r = x.sub(&ln_2.mul(&Wide::int(n)));
    let mut term = Wide::int(1);
    let mut sum = Wide::int(1);
    let limit = -(WORK_DIGITS as i64) - 4;
    let mut k = 0i64;
    loop {
        k += 1;
        term = term.mul(&r).div(&Wide::int(k));
        if term.is_zero() || term.magnitude() < limit {
            break;
        }
        sum = sum.add(&term);
    }
    let power = Wide { mantissa: BigInt::one() << n.unsigned_abs(), exponent: 0 };
    if n >= 0 { sum.mul(&power) } else { sum.div(&power) }
}

fn round_to_i64(value: &Wide) -> i64 {
    let integer = if value.exponent >= 0 {
        &value.mantissa * pow10(value.exponent as u64)
    } else {
        let divisor = pow10(value.exponent.unsigned_abs());
        let (quotient, remainder) = value.mantissa.div_mod_floor(&divisor);
        let twice: BigInt = remainder * 2;
        if twice >= divisor { quotient + 1 } else { quotient }
    };
    integer.to_i64().unwrap_or(0)
}

fn rounded(value: &Wide) -> Number {
    value.round(DIV_PRECISION)
}

fn positive(x: &Number, name: &str) -> Result<Wide, String> {
    if x.is_zero() || x.is_negative() {
        return Err(format!("{name} of a number that is not positive: {x}"));
    }
    Ok(Wide::from_number(x))
}

pub(super) fn exp_number(x: &Number) -> Result<Number, String> {
    exp_number_wide(&Wide::from_number(x))
}

pub(super) fn ln_number(x: &Number) -> Result<Number, String> {
    let wide = positive(x, "logarithm")?;
    if wide.cmp(&Wide::int(1)) == Ordering::Equal {
        return Ok(Number::from_i64(0));
    }
    Ok(rounded(&ln(&wide)))
}

pub(super) fn log10_number(x: &Number) -> Result<Number, String> {
    let wide = positive(x, "logarithm")?;
    if wide.cmp(&Wide::int(1)) == Ordering::Equal {
        return Ok(Number::from_i64(0));
    }
    Ok(rounded(&ln(&wide).div(&ln10())))
}

pub(super) fn log2_number(x: &Number) -> Result<Number, String> {
    let ln_x = ln_number(x)?;
    let ln_2 = rounded(&ln2());
    ln_x.div(&ln_2)
}

pub(super) fn cbrt_number(x: &Number) -> Result<Number, String> {
    if x.is_zero() {
        return Ok(Number::from_i64(0));
    }
    let (coefficient, exponent) = x.parts();
    let negative = coefficient.is_negative();
    let magnitude: BigUint = coefficient.magnitude().clone();
    let digits = magnitude.to_str_radix(10).len() as i64;
    // Scale to at least 3 × WORK_DIGITS digits, with an exponent divisible by 3.
    let mut shift = (3 * WORK_DIGITS as i64 - digits).max(0);
    while (exponent - shift).rem_euclid(3) != 0 {
        shift += 1;
    }
    let scaled = magnitude * num_traits::pow(BigUint::from(10u32), shift as usize);
    let root = BigInt::from_biguint(Sign::Plus, scaled.cbrt());
    let root =
        Wide { mantissa: if negative { -root } else { root }, exponent: (exponent - shift) / 3 };
    Ok(rounded(&root.trimmed()))
}

/// `x ** y` for a `y` that is not an integer.
pub(super) fn pow_number(x: &Number, y: &Number) -> Result<Number, String> {
    if x.is_zero() {
        if y.is_negative() {
            return Err("division by zero".to_string());
        }
        return Ok(Number::from_i64(0));
    }
    if x.is_negative() {
        return Err(format!("{x} to a fractional power is not a real number"));
    }
    let exponent = Wide::from_number(y).mul(&ln(&Wide::from_number(x)));
    if exponent.magnitude() > 6 {
        return Err("exponent overflow".to_string());
    }
    exp_number_wide(&exponent)
}

/// `e^x`; `1` when `x` is zero or below the last of 24 digits, as the
/// reference gives it.
fn exp_number_wide(x: &Wide) -> Result<Number, String> {
    if x.is_zero() || x.magnitude() < -(DIV_PRECISION as i64) {
        return Ok(Number::from_i64(1));
    }
    if x.cmp(&Wide::int(MAX_EXP_ARGUMENT)) == Ordering::Greater
        || x.cmp(&Wide::int(-MAX_EXP_ARGUMENT)) == Ordering::Less
    {
        return Err("exponent overflow".to_string());
    }
    Ok(rounded(&exp(x)))
}
