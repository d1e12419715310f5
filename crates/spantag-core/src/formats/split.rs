//! Train/dev/test splits: parsing `--split` and assigning documents to splits reproducibly.

/// Parses `train=0.8,dev=0.1,test=0.1`. Shares must be positive and add up to 1 (± 0.001);
/// names must be distinct file-name-safe words.
pub fn parse_split(s: &str) -> Result<Vec<(String, f64)>, String> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, share) = part
            .split_once('=')
            .ok_or_else(|| format!("expected NAME=SHARE, e.g. train=0.8, not {part:?}"))?;
        let name = name.trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "split name {name:?} must be letters, digits, - or _"
            ));
        }
        let share: f64 = share
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v > 0.0 && *v <= 1.0)
            .ok_or_else(|| {
                format!("share of {name:?} must be a number in (0, 1], not {share:?}")
            })?;
        if out.iter().any(|(n, _)| n == name) {
            return Err(format!("split name {name:?} is given twice"));
        }
        out.push((name.to_owned(), share));
    }
    if out.is_empty() {
        return Err("empty split".into());
    }
    let total: f64 = out.iter().map(|(_, v)| v).sum();
    if (total - 1.0).abs() > 1e-3 {
        return Err(format!("the shares add up to {total}, not 1"));
    }
    Ok(out)
}

/// A 64-bit mixing function (SplitMix64), used for seeded shuffles.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Assigns each of `ids` to one split: the ids are sorted, shuffled with a SplitMix64 stream
/// seeded by `seed`, and cut into consecutive runs whose sizes follow the shares (largest
/// remainder rounding). Returns the split index of each id, in the order given. The result
/// depends only on the set of ids, the shares and the seed.
pub fn assign_splits(ids: &[&str], shares: &[f64], seed: u64) -> Vec<usize> {
    let n = ids.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| ids[a].cmp(ids[b]));
    let mut state = seed ^ 0x5851_f42d_4c95_7f2d;
    for i in (1..n).rev() {
        let j = (splitmix64(&mut state) % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    let total: f64 = shares.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let exact: Vec<f64> = shares.iter().map(|s| s / total * n as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut rest = n.saturating_sub(counts.iter().sum());
    let mut by_rem: Vec<usize> = (0..shares.len()).collect();
    by_rem.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .partial_cmp(&(exact[a] - exact[a].floor()))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&b))
    });
    for &k in by_rem.iter().cycle().take(shares.len() * 2) {
        if rest == 0 {
            break;
        }
        counts[k] += 1;
        rest -= 1;
    }
    let mut out = vec![0; n];
    let mut pos = 0;
    for (k, &c) in counts.iter().enumerate() {
        for &i in order.iter().skip(pos).take(c) {
            out[i] = k;
        }
        pos += c;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_parsing_and_assignment() {
        let s = parse_split("train=0.8,dev=0.1,test=0.1").unwrap();
        assert_eq!(s.len(), 3);
        assert!(parse_split("train=0.8,dev=0.1").is_err());
        assert!(parse_split("tr ain=1").is_err());
        assert!(parse_split("a=0.5,a=0.5").is_err());
        let ids: Vec<String> = (0..103).map(|i| format!("d{i}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let a = assign_splits(&refs, &[0.8, 0.1, 0.1], 7);
        let counts: Vec<usize> = (0..3)
            .map(|k| a.iter().filter(|&&x| x == k).count())
            .collect();
        assert_eq!(counts.iter().sum::<usize>(), 103);
        assert_eq!(counts[0], 83); // 82.4 plus the largest remainder
        // Same seed and set in another order: same assignment per id.
        let mut rev = refs.clone();
        rev.reverse();
        let b = assign_splits(&rev, &[0.8, 0.1, 0.1], 7);
        for (i, id) in rev.iter().enumerate() {
            let j = refs.iter().position(|x| x == id).unwrap();
            assert_eq!(b[i], a[j]);
        }
        assert_ne!(a, assign_splits(&refs, &[0.8, 0.1, 0.1], 8));
    }
}
