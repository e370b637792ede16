//! Pairwise methods (Schulze, Ranked Pairs, Copeland) and Borda.
//!
//! A ballot prefers candidate a to b when a is at a better rank than b, or a is
//! ranked and b is not. Candidates at the same rank (a tie), and two unranked
//! candidates, are not preferred either way. Withdrawn candidates are left out.
//!
//! - **Schulze**, winning votes: the link a→b has strength `d[a][b]` if
//!   `d[a][b] > d[b][a]`, else 0; `strongest_paths[a][b]` is the strongest path's
//!   weakest link; a beats b when `p[a][b] > p[b][a]`. The ranking takes, again
//!   and again, the candidates no remaining candidate beats.
//! - **Ranked Pairs** (Tideman), margins: pairs with a positive margin
//!   `d[a][b] − d[b][a]`, largest first, are locked unless they close a cycle;
//!   equal margins are ordered by the lot (see [`TiePurpose::PairOrder`]). The
//!   ranking takes, again and again, the candidates with no locked defeat from a
//!   remaining candidate.
//! - **Copeland**: one point per pairwise win, half per pairwise tie.
//! - **Borda** (docs/ARCHITECTURE.md): on a ballot ranking some of the m candidates, the one
//!   at 0-based position r gets m−1−r points, unranked ones 0. Candidates tied
//!   at one rank share the points of the positions they occupy (the average, so
//!   a score may end in .5).

use super::flat::TIED;
use super::lot::Ties;
use super::matrix::Matrix;
use super::prepared::{group_by_score, take_winners, Outcome, Prepared};
use super::report::{Pair, Score, TiePurpose};
use super::rules::Options;
use super::types::CandidateIdx;
use super::votes::{Votes, VOTE_SCALE};

/// Schulze, winning votes (module docs).
pub(crate) fn schulze(prep: &Prepared, m: &Matrix, options: &Options, ties: &mut Ties) -> Outcome {
    let n = prep.n;
    let active = prep.active();
    let mut p = vec![0u64; n * n];
    for &a in &active {
        for &b in &active {
            if a != b && m.get(a, b) > m.get(b, a) {
                p[a as usize * n + b as usize] = m.get(a, b);
            }
        }
    }
    for &k in &active {
        let k = k as usize;
        for &i in &active {
            let i = i as usize;
            if i == k {
                continue;
            }
            let pik = p[i * n + k];
            if pik == 0 {
                continue;
            }
            for &j in &active {
                let j = j as usize;
                if j == i || j == k {
                    continue;
                }
                let via = pik.min(p[k * n + j]);
                if via > p[i * n + j] {
                    p[i * n + j] = via;
                }
            }
        }
    }
    let beats = |a: CandidateIdx, b: CandidateIdx| {
        p[a as usize * n + b as usize] > p[b as usize * n + a as usize]
    };
    let mut ranking = layers(&active, beats);
    let winners = take_winners(&mut ranking, options.seats, ties);
    Outcome {
        winners,
        ranking,
        strongest_paths: Some(p.chunks(n.max(1)).map(|r| r.to_vec()).collect()),
        ..Outcome::default()
    }
}

/// Ranks by repeatedly taking the candidates that no remaining candidate beats.
/// `beats` must be acyclic on `cands` (it is for Schulze and for locked pairs).
fn layers(
    cands: &[CandidateIdx],
    beats: impl Fn(CandidateIdx, CandidateIdx) -> bool,
) -> Vec<Vec<CandidateIdx>> {
    let mut remaining = cands.to_vec();
    let mut out = Vec::new();
    while !remaining.is_empty() {
        let top: Vec<CandidateIdx> = remaining
            .iter()
            .copied()
            .filter(|&a| !remaining.iter().any(|&b| b != a && beats(b, a)))
            .collect();
        if top.is_empty() {
            // Cannot happen for an acyclic relation; keep the rest together
            // rather than loop forever.
            out.push(remaining);
            break;
        }
        remaining.retain(|c| !top.contains(c));
        out.push(top);
    }
    out
}

/// Reachability in the locked graph, one bit set per candidate.
struct Reach {
    words: usize,
    bits: Vec<u64>,
}

impl Reach {
    fn new(n: usize) -> Self {
        let words = n.div_ceil(64).max(1);
        Reach {
            words,
            bits: vec![0; n * words],
        }
    }

    fn reaches(&self, a: CandidateIdx, b: CandidateIdx) -> bool {
        let b = b as usize;
        self.bits[a as usize * self.words + b / 64] >> (b % 64) & 1 == 1
    }

    /// Adds the edge w→l: everything reaching w (and w) now reaches l and all l reaches.
    fn lock(&mut self, w: CandidateIdx, l: CandidateIdx, n: usize) {
        let words = self.words;
        let mut from_l = self.bits[l as usize * words..(l as usize + 1) * words].to_vec();
        from_l[l as usize / 64] |= 1 << (l as usize % 64);
        for a in 0..n {
            if a == w as usize || self.reaches(a as CandidateIdx, w) {
                for (x, y) in self.bits[a * words..(a + 1) * words]
                    .iter_mut()
                    .zip(&from_l)
                {
                    *x |= y;
                }
            }
        }
    }
}

/// Ranked Pairs by margins (module docs).
pub(crate) fn ranked_pairs(
    prep: &Prepared,
    m: &Matrix,
    options: &Options,
    ties: &mut Ties,
) -> Outcome {
    let n = prep.n;
    let active = prep.active();
    let mut pairs: Vec<(CandidateIdx, CandidateIdx, u64)> = Vec::new();
    for (x, &a) in active.iter().enumerate() {
        for &b in &active[x + 1..] {
            let (ab, ba) = (m.get(a, b), m.get(b, a));
            if ab > ba {
                pairs.push((a, b, ab - ba));
            } else if ba > ab {
                pairs.push((b, a, ba - ab));
            }
        }
    }
    pairs.sort_by(|x, y| {
        y.2.cmp(&x.2)
            .then(ties.position(x.0).cmp(&ties.position(y.0)))
            .then(ties.position(y.1).cmp(&ties.position(x.1)))
    });
    let mut reach = Reach::new(n);
    let mut locked = vec![false; n * n];
    let mut out_pairs = Vec::with_capacity(pairs.len());
    let mut start = 0;
    while start < pairs.len() {
        let margin = pairs[start].2;
        let end = start + pairs[start..].iter().take_while(|p| p.2 == margin).count();
        let group = &pairs[start..end];
        let before = (group.len() > 1).then(|| reach.bits.clone());
        let mut order_mattered = false;
        for &(w, l, margin) in group {
            let cycle = reach.reaches(l, w);
            if cycle {
                if let Some(bits) = &before {
                    let old = Reach {
                        words: reach.words,
                        bits: bits.clone(),
                    };
                    order_mattered |= !old.reaches(l, w);
                }
            } else {
                reach.lock(w, l, n);
                locked[w as usize * n + l as usize] = true;
            }
            out_pairs.push(Pair {
                winner: w,
                loser: l,
                margin,
                locked: !cycle,
            });
        }
        if order_mattered {
            let mut involved: Vec<CandidateIdx> = group.iter().flat_map(|p| [p.0, p.1]).collect();
            involved.sort_unstable();
            involved.dedup();
            ties.order(&involved, &[], TiePurpose::PairOrder, None, false);
        }
        start = end;
    }
    let mut ranking = layers(&active, |a, b| locked[a as usize * n + b as usize]);
    let winners = take_winners(&mut ranking, options.seats, ties);
    Outcome {
        winners,
        ranking,
        pairs: out_pairs,
        ..Outcome::default()
    }
}

/// Copeland: a point per pairwise win, half per tie.
pub(crate) fn copeland(prep: &Prepared, m: &Matrix, options: &Options, ties: &mut Ties) -> Outcome {
    let active = prep.active();
    let mut halves = vec![0u128; prep.n];
    for &a in &active {
        for &b in &active {
            if a != b {
                halves[a as usize] += match m.get(a, b).cmp(&m.get(b, a)) {
                    std::cmp::Ordering::Greater => 2,
                    std::cmp::Ordering::Equal => 1,
                    std::cmp::Ordering::Less => 0,
                };
            }
        }
    }
    scored(&active, &halves, options, ties)
}

/// Borda count (module docs).
pub(crate) fn borda(prep: &Prepared, options: &Options, ties: &mut Ties) -> Outcome {
    let active = prep.active();
    let m = active.len() as u64;
    let mut halves = vec![0u128; prep.n];
    let flat = &prep.flat;
    for g in 0..flat.len() {
        let w = flat.count(g) as u128;
        let items = flat.items(g);
        let mut r = 0u64;
        let mut x = 0;
        while x < items.len() {
            // One rank: its first candidate and those tied with it.
            let k = 1 + items[x + 1..]
                .iter()
                .take_while(|&&item| item & TIED != 0)
                .count();
            // Average of m−1−r … m−1−(r+k−1), doubled.
            let pts = 2 * (m - 1 - r) - (k as u64 - 1);
            for &item in &items[x..x + k] {
                halves[(item & !TIED) as usize] += pts as u128 * w;
            }
            r += k as u64;
            x += k;
        }
    }
    scored(&active, &halves, options, ties)
}

fn scored(active: &[CandidateIdx], halves: &[u128], options: &Options, ties: &mut Ties) -> Outcome {
    let mut ranking = group_by_score(active, |c| halves[c as usize]);
    let winners = take_winners(&mut ranking, options.seats, ties);
    Outcome {
        winners,
        ranking,
        scores: active
            .iter()
            .map(|&c| Score {
                candidate: c,
                score: Votes::from_units(halves[c as usize] * (VOTE_SCALE / 2)),
            })
            .collect(),
        ..Outcome::default()
    }
}
