//! `list`. `Sort`, `SortStable`, `IsSorted`, `Ascending` and `Descending`
//! are in the evaluator (`eval/sort.rs`): their comparator is a CUE struct.
//!
//! Sums and products are exact (the reference rounds them to 24 digits);
//! `Avg` divides like `/`.

use super::{
    Builtin, MAX_STRING, data_equal, decimal, function, int_arg, list_arg, number_arg,
    number_list_arg, string_list_arg, strings_list, validator,
};
use crate::data::Data;
use crate::num::Number;

const P: &str = "list";

pub(super) const FUNCTIONS: &[Builtin] = &[
    function(P, "Drop", 2, |a| {
        let (items, n) = (list_arg(a, 0)?, int_arg(a, 1)?);
        if n < 0 {
            return Err("negative index".to_string());
        }
        Ok(Data::List(items.get(n as usize..).unwrap_or(&[]).to_vec()))
    }),
    function(P, "FlattenN", 2, |a| {
        let items = list_arg(a, 0)?;
        let mut out = Vec::new();
        flatten(items, int_arg(a, 1)?, &mut out);
        Ok(Data::List(out))
    }),
    function(P, "Repeat", 2, |a| {
        let (items, count) = (list_arg(a, 0)?, int_arg(a, 1)?);
        if count < 0 {
            return Err("negative count".to_string());
        }
        if (items.len() as u128) * (count as u128) > MAX_STRING as u128 {
            return Err("list too long".to_string());
        }
        Ok(Data::List(items.iter().cloned().cycle().take(items.len() * count as usize).collect()))
    }),
    function(P, "Concat", 1, |a| {
        let mut out = Vec::new();
        for (index, item) in list_arg(a, 0)?.iter().enumerate() {
            match item {
                Data::List(items) => out.extend(items.iter().cloned()),
                other => {
                    return Err(format!(
                        "cannot use value {} (type {}) as list (element {index})",
                        super::cue_text(other),
                        other.kind_name()
                    ));
                }
            }
        }
        Ok(Data::List(out))
    }),
    function(P, "Take", 2, |a| {
        let (items, n) = (list_arg(a, 0)?, int_arg(a, 1)?);
        if n < 0 {
            return Err("negative index".to_string());
        }
        Ok(Data::List(items[..(n as usize).min(items.len())].to_vec()))
    }),
    function(P, "Slice", 3, |a| {
        let (items, i, j) = (list_arg(a, 0)?, int_arg(a, 1)?, int_arg(a, 2)?);
        if i < 0 {
            return Err("negative index".to_string());
        }
        if i > j {
            return Err(format!("invalid index: {i} > {j}"));
        }
        if i as usize > items.len() || j as usize > items.len() {
            return Err("slice bounds out of range".to_string());
        }
        Ok(Data::List(items[i as usize..j as usize].to_vec()))
    }),
    validator(P, "MinItems", 2, |a| Ok(Data::Bool(list_arg(a, 0)?.len() as i64 >= int_arg(a, 1)?))),
    validator(P, "MaxItems", 2, |a| Ok(Data::Bool(list_arg(a, 0)?.len() as i64 <= int_arg(a, 1)?))),
    validator(P, "UniqueItems", 1, |a| {
        let items = list_arg(a, 0)?;
        let unique = items.iter().enumerate().all(|(i, x)| items[..i].iter().all(|y| x != y));
        Ok(Data::Bool(unique))
    }),
    validator(P, "Contains", 2, |a| {
        let needle = super::arg(a, 1)?;
        Ok(Data::Bool(list_arg(a, 0)?.iter().any(|item| data_equal(item, needle))))
    }),
    function(P, "Avg", 1, |a| {
        let numbers = number_list_arg(a, 0)?;
        if numbers.is_empty() {
            return Err("empty list".to_string());
        }
        let sum = sum(&numbers);
        Ok(decimal(sum.div(&Number::from_i64(numbers.len() as i64))?))
    }),
    function(P, "Max", 1, |a| extreme(a, std::cmp::Ordering::Greater)),
    function(P, "Min", 1, |a| extreme(a, std::cmp::Ordering::Less)),
    function(P, "Product", 1, |a| {
        let product = number_list_arg(a, 0)?.iter().fold(Number::from_i64(1), |acc, x| x.mul(&acc));
        Ok(decimal(product))
    }),
    function(P, "Range", 3, |a| {
        let (start, limit, step) = (number_arg(a, 0)?, number_arg(a, 1)?, number_arg(a, 2)?);
        if step.is_zero() {
            return Err("step must be non zero".to_string());
        }
        let negative = step.is_negative();
        if !negative && start.cmp(limit).is_gt() {
            return Err("end must be greater than start when step is positive".to_string());
        }
        if negative && start.cmp(limit).is_lt() {
            return Err("end must be less than start when step is negative".to_string());
        }
        let mut out = Vec::new();
        let mut current = start.clone();
        while (!negative && current.cmp(limit).is_lt()) || (negative && current.cmp(limit).is_gt())
        {
            if out.len() >= MAX_STRING {
                return Err("list too long".to_string());
            }
            out.push(decimal(current.clone()));
            current = step.add(&current);
        }
        Ok(Data::List(out))
    }),
    function(P, "Sum", 1, |a| Ok(decimal(sum(&number_list_arg(a, 0)?)))),
    function(P, "SortStrings", 1, |a| {
        let mut items = string_list_arg(a, 0)?;
        items.sort_unstable();
        Ok(strings_list(items))
    }),
    validator(P, "IsSortedStrings", 1, |a| {
        let items = string_list_arg(a, 0)?;
        Ok(Data::Bool(items.windows(2).all(|w| w[0] <= w[1])))
    }),
];

fn sum(numbers: &[&Number]) -> Number {
    numbers.iter().fold(Number::from_i64(0), |acc, x| x.add(&acc))
}

fn extreme(args: &[Data], wanted: std::cmp::Ordering) -> Result<Data, String> {
    let numbers = number_list_arg(args, 0)?;
    let Some(mut best) = numbers.first().copied() else {
        return Err("empty list".to_string());
    };
    for x in &numbers[1..] {
        if x.cmp(best) == wanted {
            best = x;
        }
    }
    Ok(decimal(best.clone()))
}

fn flatten(items: &[Data], depth: i64, out: &mut Vec<Data>) {
    for item in items {
        match item {
            Data::List(inner) if depth != 0 => flatten(inner, depth - 1, out),
            other => out.push(other.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn t(name: &str, args: Vec<crate::data::Data>) -> String {
        text(call("list", name, args))
    }

    fn nums(items: &[&str]) -> crate::data::Data {
        list(items.iter().map(|x| n(x)).collect())
    }

    #[test]
    fn lists_like_the_reference() {
        assert_eq!(t("Sum", vec![nums(&["1", "2", "3", "4"])]), "10");
        assert_eq!(t("Max", vec![nums(&["3", "9", "2"])]), "9");
        assert_eq!(t("Min", vec![nums(&["3", "9", "2"])]), "2");
        assert_eq!(t("Avg", vec![nums(&["1", "2", "3", "4"])]), "2.5");
        assert_eq!(t("Avg", vec![nums(&["1.5", "2"])]), "1.75");
        assert_eq!(t("Product", vec![nums(&["2", "3", "4"])]), "24");
        assert_eq!(t("Sum", vec![nums(&["1.5", "2.25"])]), "3.75");
        assert_eq!(t("Sum", vec![nums(&[])]), "0");
        assert_eq!(t("Product", vec![nums(&[])]), "1");
        assert_eq!(t("Sum", vec![nums(&["1e3", "1"])]), "1001");
        assert_eq!(t("Max", vec![nums(&["1", "2.5"])]), "2.5");
        assert_eq!(t("Avg", vec![nums(&[])]), "error: error in call to list.Avg: empty list");
        assert_eq!(t("Range", vec![n("0"), n("1"), n("0.25")]), "[0,0.25,0.50,0.75]");
        assert_eq!(t("Range", vec![n("0"), n("5"), n("1")]), "[0,1,2,3,4]");
        assert_eq!(t("Range", vec![n("10"), n("0"), n("-3")]), "[10,7,4,1]");
        assert_eq!(t("Contains", vec![nums(&["1", "2", "3"]), n("2")]), "true");
        assert_eq!(t("Contains", vec![list(vec![s("a")]), s("b")]), "false");
        let nested = list(vec![nums(&["1"]), list(vec![n("2"), nums(&["3"])])]);
        assert_eq!(t("FlattenN", vec![nested.clone(), n("1")]), "[1,2,[3]]");
        assert_eq!(t("FlattenN", vec![nested, n("-1")]), "[1,2,3]");
        assert_eq!(t("UniqueItems", vec![nums(&["1", "2", "3"])]), "true");
        assert_eq!(t("UniqueItems", vec![nums(&["80", "443", "80"])]), "false");
        assert_eq!(t("MinItems", vec![nums(&["1", "2"]), n("2")]), "true");
        assert_eq!(t("MaxItems", vec![nums(&["1", "2"]), n("1")]), "false");
        assert_eq!(t("Take", vec![nums(&["1", "2", "3"]), n("2")]), "[1,2]");
        assert_eq!(t("Drop", vec![nums(&["1", "2", "3"]), n("2")]), "[3]");
        assert_eq!(t("Slice", vec![nums(&["1", "2", "3", "4"]), n("1"), n("3")]), "[2,3]");
        assert_eq!(
            t("Concat", vec![list(vec![nums(&["1"]), nums(&["2", "3"]), nums(&[])])]),
            "[1,2,3]"
        );
        assert_eq!(t("Repeat", vec![list(vec![s("x")]), n("3")]), r#"["x","x","x"]"#);
        assert_eq!(
            t("SortStrings", vec![list(vec![s("web2"), s("db1"), s("web1")])]),
            r#"["db1","web1","web2"]"#
        );
    }
}
