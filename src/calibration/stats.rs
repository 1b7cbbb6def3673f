//! Agreement between two sets of grades: the figures `grill calibrate`
//! reports. Pure functions over slices; `None` where a figure is undefined
//! (too few pairs, or no variance to correlate).

/// Pearson's r.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 2 || n != y.len() {
        return None;
    }
    let (mx, my) = (mean(x)?, mean(y)?);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// Ranks from 1, ties sharing the average of the ranks they span.
pub fn ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        // Positions i..=j (0-based) share ranks i+1..=j+1.
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = rank;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's ρ: Pearson's r of the ranks.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() {
        return None;
    }
    pearson(&ranks(x), &ranks(y))
}

pub fn mean(x: &[f64]) -> Option<f64> {
    (!x.is_empty()).then(|| x.iter().sum::<f64>() / x.len() as f64)
}

/// Mean absolute difference.
pub fn mae(grades: &[f64], labels: &[f64]) -> Option<f64> {
    let d: Vec<f64> = grades
        .iter()
        .zip(labels)
        .map(|(g, l)| (g - l).abs())
        .collect();
    mean(&d)
}

/// Mean of grade − label: positive when the grader is generous.
pub fn bias(grades: &[f64], labels: &[f64]) -> Option<f64> {
    let d: Vec<f64> = grades.iter().zip(labels).map(|(g, l)| g - l).collect();
    mean(&d)
}

/// Share of pairs no more than `within` apart.
pub fn share_within(grades: &[f64], labels: &[f64], within: f64) -> Option<f64> {
    let n = grades.len().min(labels.len());
    let close = grades
        .iter()
        .zip(labels)
        .filter(|(g, l)| (*g - *l).abs() <= within + 1e-9)
        .count();
    (n > 0).then(|| close as f64 / n as f64)
}

/// Cohen's κ over categories `0..k`, from (label, grade) pairs, with
/// weights: `None` for plain κ, quadratic for the weighted one.
fn kappa(pairs: &[(usize, usize)], k: usize, quadratic: bool) -> Option<f64> {
    if pairs.is_empty() || k < 2 {
        return None;
    }
    let n = pairs.len() as f64;
    let mut observed = vec![vec![0.0; k]; k];
    let (mut rows, mut cols) = (vec![0.0; k], vec![0.0; k]);
    for &(a, b) in pairs {
        observed[a][b] += 1.0 / n;
        rows[a] += 1.0 / n;
        cols[b] += 1.0 / n;
    }
    let weight = |i: usize, j: usize| {
        if quadratic {
            let d = i as f64 - j as f64;
            d * d / ((k - 1) * (k - 1)) as f64
        } else if i == j {
            0.0
        } else {
            1.0
        }
    };
    let (mut disagree_observed, mut disagree_expected) = (0.0, 0.0);
    for i in 0..k {
        for j in 0..k {
            disagree_observed += weight(i, j) * observed[i][j];
            disagree_expected += weight(i, j) * rows[i] * cols[j];
        }
    }
    (disagree_expected > 0.0).then(|| 1.0 - disagree_observed / disagree_expected)
}

/// Quadratic-weighted κ on scores rounded to whole points (0 to 10).
pub fn quadratic_kappa(grades: &[f64], labels: &[f64]) -> Option<f64> {
    let point = |x: f64| (x.round().clamp(0.0, 10.0)) as usize;
    let pairs: Vec<(usize, usize)> = labels
        .iter()
        .zip(grades)
        .map(|(l, g)| (point(*l), point(*g)))
        .collect();
    kappa(&pairs, 11, true)
}

/// Cohen's κ over `k` unordered categories, from (label, grade) pairs.
pub fn cohen_kappa(pairs: &[(usize, usize)], k: usize) -> Option<f64> {
    kappa(pairs, k, false)
}

/// The `k × k` table of counts: rows the label, columns the grade.
pub fn confusion(pairs: &[(usize, usize)], k: usize) -> Vec<Vec<usize>> {
    let mut table = vec![vec![0; k]; k];
    for &(a, b) in pairs {
        if a < k && b < k {
            table[a][b] += 1;
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn pearson_on_a_case_worked_by_hand() {
        // x = 1,2,3,4; y = 2,4,5,9: means 2.5 and 5; deviations (-1.5,-0.5,0.5,1.5)
        // and (-3,-1,0,4); Sxy = 4.5+0.5+0+6 = 11; Sxx = 5; Syy = 26.
        let r = pearson(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 5.0, 9.0]);
        assert!(close(r, 11.0 / (5.0f64 * 26.0).sqrt()), "{r:?}");
        assert!(close(pearson(&[1.0, 2.0], &[3.0, 1.0]), -1.0));
        assert_eq!(pearson(&[1.0, 1.0], &[2.0, 3.0]), None, "no variance");
        assert_eq!(pearson(&[1.0], &[2.0]), None);
    }

    #[test]
    fn spearman_ranks_ties_by_their_average() {
        assert_eq!(ranks(&[10.0, 20.0, 20.0, 5.0]), [2.0, 3.5, 3.5, 1.0]);
        // Monotone but not linear: ρ = 1.
        assert!(close(
            spearman(&[1.0, 2.0, 3.0, 4.0], &[1.0, 4.0, 9.0, 100.0]),
            1.0
        ));
        // x = 1,2,3,4,5 against y = 2,1,4,3,5: d = -1,1,-1,1,0; Σd² = 4;
        // ρ = 1 - 6·4 / (5·24) = 0.8.
        assert!(close(
            spearman(&[1.0, 2.0, 3.0, 4.0, 5.0], &[2.0, 1.0, 4.0, 3.0, 5.0]),
            0.8
        ));
    }

    #[test]
    fn error_bias_and_agreement_within_a_point() {
        let grades = [7.0, 5.0, 2.0, 9.5];
        let labels = [6.0, 5.0, 4.0, 9.0];
        assert!(close(mae(&grades, &labels), (1.0 + 0.0 + 2.0 + 0.5) / 4.0));
        assert!(close(bias(&grades, &labels), (1.0 + 0.0 - 2.0 + 0.5) / 4.0));
        assert!(close(share_within(&grades, &labels, 1.0), 0.75));
    }

    #[test]
    fn cohens_kappa_on_a_three_category_case_worked_by_hand() {
        // 10 pairs, categories 0 covered, 1 partial, 2 missing.
        // Agreements: (0,0)×3, (1,1)×2, (2,2)×2; disagreements (0,1), (1,2), (2,0).
        let pairs = [
            (0, 0),
            (0, 0),
            (0, 0),
            (0, 1),
            (1, 1),
            (1, 1),
            (1, 2),
            (2, 2),
            (2, 2),
            (2, 0),
        ];
        // po = 0.7. Rows: 0.4, 0.3, 0.3. Columns: 0.4, 0.3, 0.3.
        // pe = 0.16 + 0.09 + 0.09 = 0.34; κ = (0.7 - 0.34) / 0.66.
        assert!(close(cohen_kappa(&pairs, 3), 0.36 / 0.66));
        assert_eq!(
            confusion(&pairs, 3),
            [vec![3, 1, 0], vec![0, 2, 1], vec![1, 0, 2]]
        );
        assert!(close(cohen_kappa(&[(0, 0), (1, 1), (2, 2)], 3), 1.0));
    }

    #[test]
    fn quadratic_kappa_on_a_case_worked_by_hand() {
        // Labels 0, 5, 10 graded 0, 5, 10: perfect.
        assert!(close(
            quadratic_kappa(&[0.0, 5.0, 10.0], &[0.0, 5.0, 10.0]),
            1.0
        ));
        // Labels (0, 10), grades (10, 0): observed disagreement 2 × ½ × 1 = 1;
        // expected: marginals ½,½ on 0 and 10 each: ¼·(0 + 1 + 1 + 0) = ½; κ = 1 - 1/½ = -1.
        assert!(close(quadratic_kappa(&[10.0, 0.0], &[0.0, 10.0]), -1.0));
        // Labels 4, 6 graded 5, 6 (4.6 rounds to 5): weights (i-j)²/100.
        // Observed: one pair (4,5) at w = 0.01, half weight → 0.005.
        // Expected: rows {4: ½, 6: ½}, columns {5: ½, 6: ½}:
        // ¼·(w(4,5) + w(4,6) + w(6,5) + w(6,6)) = ¼·(0.01 + 0.04 + 0.01 + 0) = 0.015.
        assert!(close(
            quadratic_kappa(&[4.6, 6.0], &[4.0, 6.0]),
            1.0 - 0.005 / 0.015
        ));
    }
}
