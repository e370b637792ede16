//! ES&S cast vote record spreadsheets (`.xlsx`), as RCTab's `ess` provider reads
//! them (`StreamingCvrReader`), with `calamine` reading the workbook.
//!
//! The first worksheet holds one ballot per row from `firstVoteRowIndex` on;
//! the columns from `firstVoteColumnIndex` on, as many as `maxRankingsAllowed`,
//! are ranks 1, 2, …, each cell naming a candidate (trimmed). A cell equal to
//! the skipped-rank label (`skippedRankLabel`, RCTab 1.x `undervoteLabel`) is
//! no mark; a cell split by the overvote delimiter names several candidates at
//! one rank (an overvote), each part trimmed, and none of them may be blank or
//! the skipped-rank label (RCTab refuses such a file); a cell equal to the
//! overvote label is an explicit overvote at that rank
//! ([`super::cvr::EXPLICIT_OVERVOTE`]); the undeclared write-in label counts as
//! undeclared write-ins, and so does a blank rank cell when
//! `treatBlankAsUndeclaredWriteIn` is set. Rows without any cell are not ballots.
//! This is RCTab 2.0's `StreamingCvrReader.cvrCell`.

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, DataRef, Reader, Xlsx};

use super::cvr::{ElectionBuilder, EXPLICIT_OVERVOTE, UNDECLARED_WRITE_INS};
use super::read_error::{Location, ReadError};
use crate::tally::{CandidateIdx, Election};

const FORMAT: &str = "ES&S xlsx CVR";

/// The source settings the reader follows (RCTab's `cvrFileSources` fields).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EssOptions {
    /// 1-based column of rank 1.
    pub first_vote_column: usize,
    /// 1-based row of the first ballot.
    pub first_vote_row: usize,
    /// Rank columns read (RCTab's `maxRankingsAllowed`).
    pub max_rankings: usize,
    pub overvote_delimiter: Option<String>,
    /// A cell holding it is an explicit overvote.
    pub overvote_label: Option<String>,
    /// A cell holding it marks no one (a skipped rank).
    pub undervote_label: Option<String>,
    pub undeclared_write_in_label: Option<String>,
    pub treat_blank_as_undeclared_write_in: bool,
}

/// A cell's text as a spreadsheet shows it: numbers without a trailing `.0`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// Reads the workbook `bytes`.
pub fn read_ess_xlsx(bytes: &[u8], options: &EssOptions) -> Result<Election, ReadError> {
    let input = |m: String| ReadError::new(FORMAT, Location::Input, m);
    if options.first_vote_column == 0 || options.first_vote_row == 0 {
        return Err(input(
            "firstVoteColumnIndex and firstVoteRowIndex must be 1 or more".to_owned(),
        ));
    }
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| input(format!("expected an xlsx workbook: {e}")))?;
    // The worksheet is read as a stream of cells, one row at a time: a
    // million-row sheet is never held as a whole range of cells.
    let sheet = book
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| input("expected a worksheet".to_owned()))?;
    let mut cells = book
        .worksheet_cells_reader(&sheet)
        .map_err(|e| input(format!("cannot read the first worksheet: {e}")))?;
    let mut builder = ElectionBuilder::default();
    let (first_row, first_col) = (
        options.first_vote_row as u32 - 1,
        options.first_vote_column as u32 - 1,
    );
    // The cells of the current row: column and value.
    let mut row: Vec<(u32, DataRef<'_>)> = Vec::new();
    let mut row_number = 0;
    loop {
        let cell = cells
            .next_cell()
            .map_err(|e| input(format!("cannot read the first worksheet: {e}")))?;
        let next_row = cell.as_ref().map(|c| c.get_position().0);
        if next_row != Some(row_number) && !row.is_empty() {
            add_row(&row, first_col, options, &mut builder).map_err(|(column, message)| {
                ReadError::new(
                    FORMAT,
                    Location::Cell {
                        line: row_number as usize + 1,
                        column: column as usize + 1,
                    },
                    message,
                )
            })?;
            row.clear();
        }
        let Some(cell) = cell else { break };
        let (r, c) = cell.get_position();
        row_number = r;
        if r >= first_row {
            row.push((c, cell.get_value().clone()));
        }
    }
    Ok(builder.finish())
}

/// Adds one row, its cells `(column, value)` in column order, as a ballot,
/// unless no cell of it holds anything. Rank cells are the columns from
/// `first_col` on, as many as `options.max_rankings`; a rank without a cell is
/// blank. A cell that cannot be read is an error: its 0-based column and why.
fn add_row(
    row: &[(u32, DataRef<'_>)],
    first_col: u32,
    options: &EssOptions,
    builder: &mut ElectionBuilder,
) -> Result<(), (u32, String)> {
    if row.iter().all(|(_, d)| matches!(d, DataRef::Empty)) {
        return Ok(());
    }
    let end = first_col as u64 + options.max_rankings as u64;
    let mut ranks: Vec<Vec<CandidateIdx>> = Vec::new();
    for (c, value) in row {
        if u64::from(*c) < u64::from(first_col) || u64::from(*c) >= end {
            continue;
        }
        while ranks.len() < (c - first_col) as usize {
            ranks.push(read_cell("", options, builder).map_err(|e| (*c, e))?);
        }
        ranks.push(read_cell(cell_text_ref(value).trim(), options, builder).map_err(|e| (*c, e))?);
    }
    // Past the row's last cell every rank is blank: it marks nothing (and
    // trailing empty ranks are dropped), unless blanks count as write-ins.
    if options.treat_blank_as_undeclared_write_in {
        while ranks.len() < options.max_rankings {
            ranks.push(read_cell("", options, builder).map_err(|e| (first_col, e))?);
        }
    }
    builder.add_slots(ranks, 1);
    Ok(())
}

/// A streamed cell's text as [`cell_text`] gives it, borrowed where it can be
/// (shared strings: the common case).
fn cell_text_ref<'a>(cell: &'a DataRef<'_>) -> std::borrow::Cow<'a, str> {
    match cell {
        DataRef::SharedString(s) => (*s).into(),
        DataRef::String(s) => s.as_str().into(),
        DataRef::Empty => "".into(),
        other => cell_text(&Data::from(other.clone())).into(),
    }
}

/// The candidates one rank cell marks (the explicit-overvote mark for the
/// overvote label), or why the cell is refused.
fn read_cell(
    text: &str,
    options: &EssOptions,
    builder: &mut ElectionBuilder,
) -> Result<Vec<CandidateIdx>, String> {
    if text.is_empty() {
        return Ok(if options.treat_blank_as_undeclared_write_in {
            vec![builder.candidate(UNDECLARED_WRITE_INS)]
        } else {
            Vec::new()
        });
    }
    let parts: Vec<&str> = match options.overvote_delimiter.as_deref() {
        Some(d) if !d.is_empty() => text.split(d).map(str::trim).collect(),
        _ => vec![text],
    };
    let skipped = |part: &str| options.undervote_label.as_deref() == Some(part);
    if parts.len() > 1 && parts.iter().any(|p| p.is_empty() || skipped(p)) {
        return Err(format!(
            "the cell \"{text}\" names several candidates, one of them blank or the \
             skipped-rank label; RCTab refuses such a cell"
        ));
    }
    let mut slot = Vec::with_capacity(parts.len());
    for part in parts {
        if skipped(part) {
            continue;
        }
        let name = if options.overvote_label.as_deref() == Some(part) {
            EXPLICIT_OVERVOTE
        } else if options.undeclared_write_in_label.as_deref() == Some(part) {
            UNDECLARED_WRITE_INS
        } else {
            part
        };
        slot.push(builder.candidate(name));
    }
    Ok(slot)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKBOOK: &[u8] = include_bytes!("../../tests/conformance/ess/ess_cvr.xlsx");

    fn options() -> EssOptions {
        EssOptions {
            first_vote_column: 4,
            first_vote_row: 2,
            max_rankings: 3,
            overvote_delimiter: Some("|".to_owned()),
            overvote_label: None,
            undervote_label: Some("undervote".to_owned()),
            undeclared_write_in_label: Some("Write-in".to_owned()),
            treat_blank_as_undeclared_write_in: false,
        }
    }

    #[test]
    fn reads_ranks_overvotes_undervotes_and_write_ins() {
        let e = read_ess_xlsx(WORKBOOK, &options()).unwrap();
        assert_eq!(e.candidates, ["A", "B", "C", UNDECLARED_WRITE_INS]);
        let ranks: Vec<(Vec<Vec<CandidateIdx>>, u64)> = e
            .ballots
            .iter()
            .map(|b| (b.ranks.clone(), b.count))
            .collect();
        assert_eq!(
            ranks,
            [
                (vec![vec![0], vec![1]], 1),
                (vec![vec![0]], 1),
                (vec![vec![2], vec![1]], 1),
                (vec![vec![1, 2], vec![0]], 1),
                (vec![vec![3]], 1),
                (vec![vec![], vec![2]], 1),
            ]
        );
    }

    #[test]
    fn fewer_rank_columns_and_blank_write_ins_follow_the_settings() {
        let o = EssOptions {
            max_rankings: 1,
            treat_blank_as_undeclared_write_in: true,
            ..options()
        };
        let e = read_ess_xlsx(WORKBOOK, &o).unwrap();
        // Rank 2 is not read; ballot 6's rank 1 is the undervote label (no mark).
        let total: u64 = e.ballots.iter().map(|b| b.count).sum();
        assert_eq!(total, 6);
        assert!(e.ballots.iter().all(|b| b.ranks.len() <= 1));
    }

    #[test]
    fn the_overvote_label_is_an_explicit_overvote_and_parts_are_trimmed() {
        let workbook = include_bytes!("../../tests/conformance/ess/ess_overvote_label.xlsx");
        let o = EssOptions {
            overvote_label: Some("overvote".to_owned()),
            ..options()
        };
        let e = read_ess_xlsx(workbook, &o).unwrap();
        assert_eq!(e.candidates, ["A", "B", EXPLICIT_OVERVOTE, "C"]);
        // (overvote, A), (B, overvote, C) and " B | C " as B and C.
        assert!(e.ballots.iter().any(|b| b.ranks == [vec![2], vec![0]]));
        assert!(e
            .ballots
            .iter()
            .any(|b| b.ranks == [vec![1], vec![2], vec![3]]));
        assert!(e.ballots.iter().any(|b| b.ranks == [vec![1, 3]]));
    }

    #[test]
    fn a_split_cell_with_a_blank_or_skipped_part_is_refused() {
        let mut builder = ElectionBuilder::default();
        for cell in ["B|", "B| undervote", "|C"] {
            let e = read_cell(cell, &options(), &mut builder).unwrap_err();
            assert!(e.contains("RCTab refuses"), "{cell}: {e}");
        }
        assert_eq!(read_cell("undervote", &options(), &mut builder), Ok(vec![]));
    }

    #[test]
    fn a_file_that_is_not_a_workbook_is_an_error() {
        let e = read_ess_xlsx(b"id,A\n1,1\n", &options()).unwrap_err();
        assert!(e.to_string().contains("xlsx"), "{e}");
    }
}
