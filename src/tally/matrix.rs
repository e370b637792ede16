//! The pairwise matrix: ballots preferring each candidate to each other one.

#[cfg(doc)]
use super::flat::Flat;
use super::flat::TIED;
use super::types::CandidateIdx;

/// The pairwise matrix: `get(a, b)` = ballots preferring a to b.
pub(crate) struct Matrix {
    n: usize,
    d: Vec<u64>,
}

/// Builds the [`Matrix`] ballot by ballot, in O(Σ k²) for ballots ranking k
/// candidates: each ranked candidate is credited against everyone, and debited
/// against those ranked at the same or a better rank.
pub(crate) struct MatrixBuilder {
    n: usize,
    /// Per candidate: ballots ranking it.
    all: Vec<u64>,
    /// `debit[i * n + j]`: ballots ranking i, with j at the same or a better rank.
    debit: Vec<u64>,
    /// Scratch: a ballot's candidates with their rank levels.
    ranked: Vec<(CandidateIdx, u32)>,
}

impl MatrixBuilder {
    pub fn new(n: usize) -> Self {
        MatrixBuilder {
            n,
            all: vec![0; n],
            debit: vec![0; n * n],
            ranked: Vec::new(),
        }
    }

    /// Adds `w` ballots ranking `items` ([`Flat`]'s form: withdrawn
    /// candidates left out); `tied`: whether a rank holds several.
    pub fn add(&mut self, items: &[u32], w: u64, tied: bool) {
        let n = self.n;
        if !tied {
            // A strict ranking: debited against those before it.
            for (x, &i) in items.iter().enumerate() {
                self.all[i as usize] += w;
                let row = &mut self.debit[i as usize * n..(i as usize + 1) * n];
                for &j in &items[..x] {
                    row[j as usize] += w;
                }
            }
            return;
        }
        self.ranked.clear();
        let mut level = 0u32;
        for (x, &item) in items.iter().enumerate() {
            if x > 0 && item & TIED == 0 {
                level += 1;
            }
            self.ranked.push((item & !TIED, level));
        }
        for (x, &(i, li)) in self.ranked.iter().enumerate() {
            self.all[i as usize] += w;
            let row = &mut self.debit[i as usize * n..(i as usize + 1) * n];
            for (y, &(j, lj)) in self.ranked.iter().enumerate() {
                if lj > li {
                    break;
                }
                if x != y {
                    row[j as usize] += w;
                }
            }
        }
    }

    /// The matrix; withdrawn candidates' rows and columns are 0.
    pub fn finish(self, withdrawn: &[bool]) -> Matrix {
        let n = self.n;
        let mut d = self.debit;
        for i in 0..n {
            for j in 0..n {
                let cell = &mut d[i * n + j];
                *cell = if i == j || withdrawn[i] || withdrawn[j] {
                    0
                } else {
                    self.all[i] - *cell
                };
            }
        }
        Matrix { n, d }
    }
}

impl Matrix {
    pub fn get(&self, a: CandidateIdx, b: CandidateIdx) -> u64 {
        self.d[a as usize * self.n + b as usize]
    }

    pub fn rows(&self) -> Vec<Vec<u64>> {
        self.d.chunks(self.n.max(1)).map(|r| r.to_vec()).collect()
    }

    /// The candidate beating every other one head to head.
    pub fn condorcet_winner(&self, active: &[CandidateIdx]) -> Option<CandidateIdx> {
        active.iter().copied().find(|&a| {
            active
                .iter()
                .all(|&b| a == b || self.get(a, b) > self.get(b, a))
        })
    }
}
