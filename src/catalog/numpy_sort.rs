//! The exact order of `numpy.argsort(kind='quicksort')` for `float64` on
//! x86-64 with AVX2 (NumPy 2.x dispatches to Intel's x86-simd-sort): a
//! quicksort whose partitions and 4-lane bitonic networks are not stable.
//! pandas' single-column `sort_values` uses it, so SkyPilot's choice among
//! equally priced instances depends on it; this reproduces it lane by lane.

/// Four lanes of keys.
type Keys = [f64; 4];
/// Four lanes of indices (`usize::MAX` pads a partial vector).
type Idx = [usize; 4];

const SWAP2: [usize; 4] = [1, 0, 3, 2];
const SWAP4: [usize; 4] = [2, 3, 0, 1];
const REVERSE: [usize; 4] = [3, 2, 1, 0];
/// Lanes 1 and 3 (`0xAA`).
const ODD: [bool; 4] = [false, true, false, true];
/// Lanes 2 and 3 (`0xCC`).
const HIGH: [bool; 4] = [false, false, true, true];
/// Largest slice the bitonic networks sort directly.
const NETWORK_MAX: usize = 256;
const UNROLL: usize = 4;
const LANES: usize = 4;

fn perm<T: Copy>(x: [T; 4], p: [usize; 4]) -> [T; 4] {
    [x[p[0]], x[p[1]], x[p[2]], x[p[3]]]
}

/// `_mm256_min_pd(x, y)`: `x < y ? x : y` per lane.
fn vmin(x: Keys, y: Keys) -> Keys {
    std::array::from_fn(|i| if x[i] < y[i] { x[i] } else { y[i] })
}

/// `_mm256_max_pd(x, y)`: `x > y ? x : y` per lane.
fn vmax(x: Keys, y: Keys) -> Keys {
    std::array::from_fn(|i| if x[i] > y[i] { x[i] } else { y[i] })
}

/// Key-value `cmp_merge`: masked lanes take the max, others the min; a lane
/// keeps its own index when its key survived, else takes the partner's.
fn cmp_merge(in1: Keys, in2: Keys, idx1: &mut Idx, idx2: Idx, mask: [bool; 4]) -> Keys {
    let (mn, mx) = (vmin(in2, in1), vmax(in2, in1));
    let out: Keys = std::array::from_fn(|i| if mask[i] { mx[i] } else { mn[i] });
    for i in 0..4 {
        if out[i] != in1[i] {
            idx1[i] = idx2[i];
        }
    }
    out
}

/// Key-value `COEX` of two registers: lane-wise min to the first.
fn coex(k1: &mut Keys, k2: &mut Keys, i1: &mut Idx, i2: &mut Idx) {
    let (t1, t2) = (vmin(*k1, *k2), vmax(*k1, *k2));
    for l in 0..4 {
        if t1[l] != k1[l] {
            std::mem::swap(&mut i1[l], &mut i2[l]);
        }
    }
    *k1 = t1;
    *k2 = t2;
}

/// `sort_ymm_64bit` (key-value): sorts one register.
fn sort_vec(k: &mut Keys, i: &mut Idx) {
    *k = cmp_merge(*k, perm(*k, SWAP2), i, perm(*i, SWAP2), ODD);
    *k = cmp_merge(*k, perm(*k, REVERSE), i, perm(*i, REVERSE), HIGH);
    *k = cmp_merge(*k, perm(*k, SWAP2), i, perm(*i, SWAP2), ODD);
}

/// `bitonic_merge_ymm_64bit`: sorts a bitonic register.
fn merge_vec(k: &mut Keys, i: &mut Idx) {
    *k = cmp_merge(*k, perm(*k, SWAP4), i, perm(*i, SWAP4), HIGH);
    *k = cmp_merge(*k, perm(*k, SWAP2), i, perm(*i, SWAP2), ODD);
}

fn coex_at(keys: &mut [Keys], idx: &mut [Idx], a: usize, b: usize) {
    let (mut ka, mut kb, mut ia, mut ib) = (keys[a], keys[b], idx[a], idx[b]);
    coex(&mut ka, &mut kb, &mut ia, &mut ib);
    keys[a] = ka;
    keys[b] = kb;
    idx[a] = ia;
    idx[b] = ib;
}

/// `bitonic_merge_n_vec`: merges two sorted halves of `keys`.
fn merge_n_vec(keys: &mut [Keys], idx: &mut [Idx]) {
    let n = keys.len();
    for i in 0..n / 2 {
        let j = n - 1 - i;
        keys[j] = perm(keys[j], REVERSE);
        idx[j] = perm(idx[j], REVERSE);
        coex_at(keys, idx, i, j);
        keys[j] = perm(keys[j], REVERSE);
        idx[j] = perm(idx[j], REVERSE);
    }
    let mut num = n / 2;
    while num >= 2 {
        for j in (0..n).step_by(num) {
            for i in 0..num / 2 {
                coex_at(keys, idx, i + j, i + j + num / 2);
            }
        }
        num /= 2;
    }
    for (k, i) in keys.iter_mut().zip(idx.iter_mut()) {
        merge_vec(k, i);
    }
}

/// `argsort_n<.., 256>`: sorts `arg` (at most 256 entries) by key.
fn argsort_n(arr: &[f64], arg: &mut [usize]) {
    let n = arg.len();
    let mut num_vecs = NETWORK_MAX / LANES;
    while num_vecs > 1 && n * 2 <= num_vecs * LANES {
        num_vecs /= 2;
    }
    let mut keys = vec![[f64::INFINITY; 4]; num_vecs];
    let mut idx = vec![[usize::MAX; 4]; num_vecs];
    for v in 0..num_vecs {
        for l in 0..LANES {
            if let Some(&i) = arg.get(v * LANES + l) {
                idx[v][l] = i;
                keys[v][l] = arr[i];
            }
        }
        sort_vec(&mut keys[v], &mut idx[v]);
    }
    let mut per = 2;
    while per <= num_vecs {
        for g in 0..num_vecs / per {
            let r = g * per..(g + 1) * per;
            merge_n_vec(&mut keys[r.clone()], &mut idx[r]);
        }
        per *= 2;
    }
    for (pos, slot) in arg.iter_mut().enumerate() {
        *slot = idx[pos / LANES][pos % LANES];
    }
}

/// Partitions one register around the pivot (`double_compressstore`):
/// lanes below the pivot go left in lane order, the others right, the
/// first of them rightmost; the whole register is written at both ends.
#[allow(clippy::too_many_arguments)]
fn partition_vec(
    arg: &mut [usize],
    left: usize,
    right: usize,
    iv: Idx,
    kv: Keys,
    pivot: f64,
) -> usize {
    let mut temp = [0usize; 4];
    let (mut lo, mut hi) = (0usize, 3usize);
    let mut ge = 0;
    for l in 0..4 {
        if kv[l] >= pivot {
            temp[hi] = iv[l];
            hi = hi.wrapping_sub(1);
            ge += 1;
        } else {
            temp[lo] = iv[l];
            lo += 1;
        }
    }
    arg[left..left + 4].copy_from_slice(&temp);
    arg[right - 4..right].copy_from_slice(&temp);
    ge
}

fn load(arr: &[f64], arg: &[usize], at: usize) -> (Idx, Keys) {
    let iv: Idx = [arg[at], arg[at + 1], arg[at + 2], arg[at + 3]];
    (iv, iv.map(|i| arr[i]))
}

/// `partition_avx512_unrolled<.., 4>` on `arg[left..right]` (only called
/// with more than 256 entries, so never on its short-array path).
fn partition(
    arr: &[f64],
    arg: &mut [usize],
    mut left: usize,
    mut right: usize,
    pivot: f64,
) -> (usize, f64, f64) {
    let (mut smallest, mut biggest) = (f64::INFINITY, f64::NEG_INFINITY);
    for _ in 0..(right - left) % (UNROLL * LANES) {
        let v = arr[arg[left]];
        if v < smallest {
            smallest = v;
        }
        if biggest < v {
            biggest = v;
        }
        if v < pivot {
            left += 1;
        } else {
            right -= 1;
            arg.swap(left, right);
        }
    }
    if left == right {
        return (left, smallest, biggest);
    }
    let mut track = |kv: Keys| {
        for v in kv {
            if v < smallest {
                smallest = v;
            }
            if v > biggest {
                biggest = v;
            }
        }
    };
    let first: Vec<(Idx, Keys)> = (0..UNROLL)
        .map(|u| load(arr, arg, left + LANES * u))
        .collect();
    let last: Vec<(Idx, Keys)> = (0..UNROLL)
        .map(|u| load(arr, arg, right - LANES * (UNROLL - u)))
        .collect();
    let mut r_store = right - LANES;
    let mut l_store = left;
    left += UNROLL * LANES;
    right -= UNROLL * LANES;
    while right != left {
        let base = if (r_store + LANES).wrapping_sub(right) < left.wrapping_sub(l_store) {
            right -= UNROLL * LANES;
            right
        } else {
            left += UNROLL * LANES;
            left - UNROLL * LANES
        };
        let batch: Vec<(Idx, Keys)> = (0..UNROLL)
            .map(|u| load(arr, arg, base + u * LANES))
            .collect();
        for (iv, kv) in batch {
            let ge = partition_vec(arg, l_store, r_store + LANES, iv, kv, pivot);
            track(kv);
            l_store += LANES - ge;
            r_store -= ge;
        }
    }
    for (iv, kv) in first.into_iter().chain(last) {
        let ge = partition_vec(arg, l_store, r_store + LANES, iv, kv, pivot);
        track(kv);
        l_store += LANES - ge;
        r_store = r_store.wrapping_sub(ge);
    }
    (l_store, smallest, biggest)
}

/// `get_pivot_64bit` with 4 lanes: the third smallest of four samples.
fn pivot(arr: &[f64], arg: &[usize], left: usize, right: usize) -> f64 {
    if right - left < LANES {
        return arr[arg[right]];
    }
    let size = (right - left) / 4;
    let mut s = [1, 2, 3, 4].map(|k| arr[arg[left + k * size]]);
    s.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    s[2]
}

fn argsort_rec(arr: &[f64], arg: &mut [usize], left: usize, right_excl: usize, max_iters: i64) {
    let n = right_excl - left;
    if max_iters <= 0 {
        // No progress (e.g. the minimum is most of the slice, so every
        // pivot is the minimum): x86-simd-sort hands over to std::sort.
        super::std_sort::sort(&mut arg[left..right_excl], |a, b| arr[a] < arr[b]);
        return;
    }
    if n <= NETWORK_MAX {
        argsort_n(arr, &mut arg[left..right_excl]);
        return;
    }
    let p = pivot(arr, arg, left, right_excl - 1);
    let (split, smallest, biggest) = partition(arr, arg, left, right_excl, p);
    if p != smallest {
        argsort_rec(arr, arg, left, split, max_iters - 1);
    }
    if p != biggest {
        argsort_rec(arr, arg, split, right_excl, max_iters - 1);
    }
}

/// `np.argsort(values, kind='quicksort')` for NaN-free values.
pub fn argsort(values: &[f64]) -> Vec<usize> {
    let n = values.len();
    let mut arg: Vec<usize> = (0..n).collect();
    // NumPy returns an already sorted input as is (ties included).
    if values.windows(2).all(|w| w[0] <= w[1]) {
        return arg;
    }
    if n > 1 {
        let max_iters = 2 * ((n as f64).log2() as i64);
        argsort_rec(values, &mut arg, 0, n, max_iters);
    }
    arg
}

#[cfg(test)]
mod tests {
    use super::argsort;

    #[test]
    fn sorts_and_matches_numpy_on_small_ties() {
        // np.argsort(np.array([0.1, 0.1, 0.1, 0.1, 0.1]), kind='quicksort')
        let got = argsort(&[3.0, 1.0, 2.0, 0.5]);
        assert_eq!(got, [3, 1, 2, 0]);
        let v: Vec<f64> = (0..1000).map(|i| ((i * 7919) % 1000) as f64).collect();
        let order = argsort(&v);
        assert!(order.windows(2).all(|w| v[w[0]] <= v[w[1]]));
        let mut seen = order.clone();
        seen.sort();
        assert_eq!(seen, (0..1000).collect::<Vec<_>>());
    }
}
