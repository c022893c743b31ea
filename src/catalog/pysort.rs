//! The orders SkyPilot's results come out in: pandas' single-column
//! `sort_values` (numpy quicksort, NaN last) and Python's `list.sort` with
//! a tuple key (which treats NaN as "not less" in either direction).

/// `nargsort(values, kind='quicksort')`: the non-NaN values in numpy's
/// (unstable) quicksort order, then the NaN indices in their original order.
pub fn argsort_quicksort(values: &[f64]) -> Vec<usize> {
    let kept: Vec<usize> = (0..values.len()).filter(|&i| !values[i].is_nan()).collect();
    let compact: Vec<f64> = kept.iter().map(|&i| values[i]).collect();
    let mut idx: Vec<usize> = super::numpy_sort::argsort(&compact)
        .into_iter()
        .map(|k| kept[k])
        .collect();
    idx.extend((0..values.len()).filter(|&i| values[i].is_nan()));
    idx
}

/// One element of a Python sort-key tuple.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    /// A float (NaN compares as Python compares it: never equal, never less).
    F(f64),
    /// A string.
    S(String),
}

fn key_eq(a: &Key, b: &Key) -> bool {
    match (a, b) {
        (Key::F(x), Key::F(y)) => x == y,
        (Key::S(x), Key::S(y)) => x == y,
        _ => false,
    }
}

fn key_lt(a: &Key, b: &Key) -> bool {
    match (a, b) {
        (Key::F(x), Key::F(y)) => x < y,
        (Key::S(x), Key::S(y)) => x < y,
        // Python would raise TypeError; rows never mix types in a column.
        _ => false,
    }
}

/// Python's `tuple.__lt__`: the first position that differs under `==`
/// decides with `<`.
pub fn tuple_lt(a: &[Key], b: &[Key]) -> bool {
    for (x, y) in a.iter().zip(b) {
        if !key_eq(x, y) {
            return key_lt(x, y);
        }
    }
    a.len() < b.len()
}

/// `items.sort(key=...)` as CPython 3.11 does it for lists shorter than 64
/// (one natural run, then binary insertion), which also fixes the order
/// when NaN keys make the comparison inconsistent. Longer lists use the
/// same insertion sort, which agrees with timsort whenever keys compare
/// consistently.
pub fn python_sort<T>(items: &mut Vec<T>, key: impl Fn(&T) -> Vec<Key>) {
    let n = items.len();
    if n < 2 {
        return;
    }
    let keys: Vec<Vec<Key>> = items.iter().map(&key).collect();
    let mut order: Vec<usize> = (0..n).collect();
    let lt = |a: usize, b: usize| tuple_lt(&keys[a], &keys[b]);
    // count_run: a strictly descending start is reversed in place.
    let mut run = 2;
    if lt(order[1], order[0]) {
        while run < n && lt(order[run], order[run - 1]) {
            run += 1;
        }
        order[..run].reverse();
    } else {
        while run < n && !lt(order[run], order[run - 1]) {
            run += 1;
        }
    }
    // binarysort from the end of the run.
    for start in run..n {
        let pivot = order[start];
        let (mut l, mut r) = (0, start);
        while l < r {
            let p = l + (r - l) / 2;
            if lt(pivot, order[p]) {
                r = p;
            } else {
                l = p + 1;
            }
        }
        order[l..=start].rotate_right(1);
    }
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(order.into_iter().filter_map(|i| slots[i].take()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_goes_last_in_argsort() {
        assert_eq!(argsort_quicksort(&[3.0, f64::NAN, 1.0, 2.0]), [2, 3, 0, 1]);
    }

    #[test]
    fn python_sort_matches_cpython_on_nan_keys() {
        // sorted([(1, nan), (0, 5.0), (1, 2.0), (0, nan)]) in CPython 3.11:
        // [(0, 5.0), (0, nan), (1, nan), (1, 2.0)]
        let nan = f64::NAN;
        let mut v = vec![(1.0, nan), (0.0, 5.0), (1.0, 2.0), (0.0, nan)];
        python_sort(&mut v, |(a, b)| vec![Key::F(*a), Key::F(*b)]);
        let got: Vec<String> = v.iter().map(|(a, b)| format!("{a},{b}")).collect();
        assert_eq!(got, ["0,5", "0,NaN", "1,NaN", "1,2"]);
        let mut words = vec!["b", "a", "c"];
        python_sort(&mut words, |w| vec![Key::S(w.to_string())]);
        assert_eq!(words, ["a", "b", "c"]);
    }
}
