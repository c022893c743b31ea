//! Python's `difflib.get_close_matches`, for SkyPilot's "did you mean" hints.

use std::collections::HashMap;

/// `SequenceMatcher(None, a, b).ratio()`.
pub fn ratio(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let total = a.len() + b.len();
    if total == 0 {
        return 1.0;
    }
    let mut b2j: HashMap<char, Vec<usize>> = HashMap::new();
    for (j, c) in b.iter().enumerate() {
        b2j.entry(*c).or_default().push(j);
    }
    // difflib's autojunk drops popular characters only when len(b) >= 200.
    if b.len() >= 200 {
        let n = b.len() / 100 + 1;
        b2j.retain(|_, js| js.len() <= n);
    }
    let matches = matching_chars(&a, &b2j, 0, a.len(), 0, b.len());
    2.0 * matches as f64 / total as f64
}

fn longest_match(
    a: &[char],
    b2j: &HashMap<char, Vec<usize>>,
    alo: usize,
    ahi: usize,
    blo: usize,
    bhi: usize,
) -> (usize, usize, usize) {
    let (mut besti, mut bestj, mut bestsize) = (alo, blo, 0);
    let mut j2len: HashMap<usize, usize> = HashMap::new();
    for (i, c) in a.iter().enumerate().take(ahi).skip(alo) {
        let mut next: HashMap<usize, usize> = HashMap::new();
        if let Some(js) = b2j.get(c) {
            for &j in js {
                if j < blo {
                    continue;
                }
                if j >= bhi {
                    break;
                }
                let k = j
                    .checked_sub(1)
                    .and_then(|p| j2len.get(&p))
                    .copied()
                    .unwrap_or(0)
                    + 1;
                next.insert(j, k);
                if k > bestsize {
                    besti = i + 1 - k;
                    bestj = j + 1 - k;
                    bestsize = k;
                }
            }
        }
        j2len = next;
    }
    (besti, bestj, bestsize)
}

fn matching_chars(
    a: &[char],
    b2j: &HashMap<char, Vec<usize>>,
    alo: usize,
    ahi: usize,
    blo: usize,
    bhi: usize,
) -> usize {
    let (i, j, k) = longest_match(a, b2j, alo, ahi, blo, bhi);
    if k == 0 {
        return 0;
    }
    let mut n = k;
    if alo < i && blo < j {
        n += matching_chars(a, b2j, alo, i, blo, j);
    }
    if i + k < ahi && j + k < bhi {
        n += matching_chars(a, b2j, i + k, ahi, j + k, bhi);
    }
    n
}

/// `difflib.get_close_matches(word, possibilities, n=1, cutoff=0.6)[0]`.
pub fn closest_match<'a>(
    word: &str,
    possibilities: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    close_matches(word, possibilities, 1, 0.6)
        .into_iter()
        .next()
}

/// `difflib.get_close_matches(word, possibilities, n, cutoff)`: best first.
pub fn close_matches<'a>(
    word: &str,
    possibilities: impl IntoIterator<Item = &'a str>,
    n: usize,
    cutoff: f64,
) -> Vec<&'a str> {
    // SequenceMatcher is built with seq2 = word, seq1 = candidate.
    let mut scored: Vec<(f64, &str)> = possibilities
        .into_iter()
        .map(|cand| (ratio(cand, word), cand))
        .filter(|(r, _)| *r >= cutoff)
        .collect();
    // nlargest on (score, string): ties go to the larger string.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| b.1.cmp(a.1)));
    scored.into_iter().take(n).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_difflib() {
        assert!((ratio("abcd", "bcde") - 0.75).abs() < 1e-9);
        assert_eq!(
            closest_match("acelerators", ["accelerators", "cpus"]),
            Some("accelerators")
        );
        assert_eq!(closest_match("xyz", ["accelerators", "cpus"]), None);
        assert_eq!(
            closest_match("spot_recovery", ["job_recovery", "use_spot"]),
            Some("job_recovery")
        );
        assert_eq!(
            close_matches("--cpu", ["--cpus", "--gpus", "--cloud", "--down"], 3, 0.6),
            ["--cpus", "--gpus", "--cloud"]
        );
        assert_eq!(
            close_matches("us-east-9", ["us-east-1", "us-west-2", "eu-west-1"], 5, 0.6),
            ["us-east-1", "us-west-2"]
        );
    }
}
