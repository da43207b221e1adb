//! The table of a [`Summary`]: one row per entry of `LAYERS`, in at most
//! [`SUMMARY_WIDTH`] columns. Rows show the call without the arguments
//! written at PyTorch's default (`LayerInfo::short`). Where the full table
//! is wider, what gives way, in order: "Receptive field" becomes "RF", MACs
//! are rounded (`118M`; the total stays exact), the jump is left out, the
//! layer text ends in `…` past 36 characters (the full text is
//! `LAYERS[i].dsl`), and the last column (each row's state_dict key in a
//! network with blocks, else the kernel that runs it) is cut, a key at its
//! start. `{:#}` prints everything: the call as written, both columns.

use crate::info::{Row, Summary, dims, grouped, jump_text};

/// The widest line of a summary printed with `{}`.
pub const SUMMARY_WIDTH: usize = 100;
/// The layer text gives way down to this many characters (indentation included).
const LAYER_WIDTH: usize = 36;

/// How much of the full table a layout keeps.
#[derive(Clone, Copy)]
struct Layout {
    wide: bool,
    rounded: bool,
    short_rf: bool,
    jump: bool,
}

/// The rule, the header, the rule and the rows, and the rule to close them.
pub(crate) fn lines(summary: &Summary, wide: bool) -> (Vec<String>, String) {
    let tree = summary.rows.iter().any(|r| r.layer.depth > 0);
    let full = Layout {
        wide,
        rounded: false,
        short_rf: false,
        jump: true,
    };
    let layouts = [
        full,
        Layout {
            short_rf: true,
            ..full
        },
        Layout {
            rounded: true,
            short_rf: true,
            ..full
        },
        Layout {
            rounded: true,
            short_rf: true,
            jump: false,
            ..full
        },
    ];
    let mut built = table(summary, tree, full);
    if !wide {
        for layout in layouts {
            built = table(summary, tree, layout);
            if total(&built.1) <= SUMMARY_WIDTH {
                break;
            }
        }
    }
    let (cells, mut width) = built;
    let macs_column = cells[0].iter().position(|c| c == "MACs").unwrap_or(3);
    let last = width.len() - 1;
    if !wide {
        let over = total(&width).saturating_sub(SUMMARY_WIDTH);
        width[0] = width[0].saturating_sub(over).max(LAYER_WIDTH.min(width[0]));
        let others: usize = width[..last].iter().map(|w| w + 2).sum();
        width[last] = width[last].min(
            SUMMARY_WIDTH
                .saturating_sub(others)
                .max(cells[0][last].len()),
        );
    }
    let rule = "─".repeat(total(&width));
    let mut out = vec![rule.clone()];
    for (i, row) in cells.iter().enumerate() {
        out.push(line(row, &width, tree, macs_column));
        if i == 0 {
            out.push(rule.clone());
        }
    }
    (out, rule)
}

/// The header and the rows' cells, and each column's natural width.
fn table(summary: &Summary, tree: bool, layout: Layout) -> (Vec<Vec<String>>, Vec<usize>) {
    let rf = if layout.short_rf {
        "RF"
    } else {
        "Receptive field"
    };
    let trains = summary.frozen_params().is_some();
    let mut header = vec!["Layer", "Output shape", "Params"];
    if trains {
        header.push("Trains");
    }
    header.extend(["MACs", rf]);
    if layout.jump {
        header.push("Jump");
    }
    if tree {
        header.push("Key");
    }
    if layout.wide || !tree {
        header.push("Kernel");
    }
    let mut cells = vec![header.into_iter().map(String::from).collect::<Vec<_>>()];
    cells.extend(summary.rows.iter().map(|r| row(r, tree, trains, layout)));
    let mut width = vec![0; cells[0].len()];
    for row in &cells {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    (cells, width)
}

/// One number where every axis agrees (`5`), else each (`3×5`, `1×7×7`).
fn per_axis<T: PartialEq>(values: &[T], text: impl Fn(&T) -> String) -> String {
    match values {
        [first, rest @ ..] if rest.iter().all(|v| v == first) => text(first),
        _ => values.iter().map(text).collect::<Vec<_>>().join("×"),
    }
}

fn row(l: &Row, tree: bool, trains: bool, layout: Layout) -> Vec<String> {
    let (rf, jump) = match (&l.receptive_field, &l.jump) {
        (Some(rf), Some(jump)) => (
            per_axis(rf, |r| r.to_string()),
            per_axis(jump, |&j| jump_text(j)),
        ),
        _ => ("-".to_string(), "-".to_string()),
    };
    let text = if layout.wide {
        l.layer.dsl
    } else {
        l.layer.short
    };
    let macs = if layout.rounded {
        rounded(l.macs)
    } else {
        grouped(l.macs)
    };
    let mut row = vec![
        format!("{}{text}", "  ".repeat(l.layer.depth)),
        dims(&l.output_shape),
        grouped(l.params as u64),
    ];
    if trains {
        row.push(trains_text(l));
    }
    row.extend([macs, rf]);
    if layout.jump {
        row.push(jump);
    }
    if tree {
        row.push(l.layer.path.to_string());
    }
    if layout.wide || !tree {
        row.push(l.layer.kernel.to_string());
    }
    row
}

/// Whether a row's parameters train: `yes`, `no` (frozen), `part`, or `-`
/// for a row without parameters.
fn trains_text(l: &Row) -> String {
    match l.frozen {
        _ if l.params == 0 => "-",
        Some(0) => "yes",
        Some(n) if n >= l.params => "no",
        Some(_) => "part",
        None => "",
    }
    .to_string()
}

/// A line of cells: text left, numbers (params, MACs) right, the layer
/// text and the last column cut to their widths.
fn line(cells: &[String], width: &[usize], tree: bool, macs_column: usize) -> String {
    let last = width.len() - 1;
    let mut text = String::new();
    for (i, (cell, &w)) in cells.iter().zip(width).enumerate() {
        let cell = match i {
            0 => cut(cell, w, false),
            i if i == last => cut(cell, w, tree),
            _ => cell.clone(),
        };
        let pad = " ".repeat(w.saturating_sub(cell.chars().count()));
        match i {
            i if i == last => text.push_str(&cell),
            i if i == 2 || i == macs_column => text.push_str(&format!("{pad}{cell}  ")),
            _ => text.push_str(&format!("{cell}{pad}  ")),
        }
    }
    text.trim_end().to_string()
}

/// The line width of columns of these widths.
fn total(width: &[usize]) -> usize {
    width.iter().sum::<usize>() + 2 * (width.len() - 1)
}

/// `118013952` → `118M`, `51380224` → `51.4M`: three significant digits.
fn rounded(n: u64) -> String {
    if n < 1000 {
        return n.to_string();
    }
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 999.5 && unit < 4 {
        value /= 1000.0;
        unit += 1;
    }
    let suffix = ["", "k", "M", "G", "T"][unit];
    match value {
        v if v >= 99.95 => format!("{v:.0}{suffix}"),
        v if v >= 9.995 => format!("{v:.1}{suffix}"),
        v => format!("{v:.2}{suffix}"),
    }
}

/// `text` in at most `width` characters: cut at the end with `…`, or at
/// the start (`keep_end`, for keys).
fn cut(text: &str, width: usize, keep_end: bool) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_string();
    }
    let keep = width.saturating_sub(1);
    if keep_end {
        let tail: String = text.chars().skip(count - keep).collect();
        format!("…{tail}")
    } else {
        let head: String = text.chars().take(keep).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_round_to_three_significant_digits() {
        assert_eq!(rounded(0), "0");
        assert_eq!(rounded(999), "999");
        assert_eq!(rounded(118_013_952), "118M");
        assert_eq!(rounded(51_380_224), "51.4M");
        assert_eq!(rounded(4_089_184_256), "4.09G");
        assert_eq!(rounded(999_999), "1.00M");
    }

    #[test]
    fn long_text_is_cut_at_its_end_and_keys_at_their_start() {
        assert_eq!(cut("conv(64, 64, 3)", 10, false), "conv(64, …");
        assert_eq!(cut("layer1.0.downsample.0", 12, true), "…ownsample.0");
        assert_eq!(cut("relu", 10, true), "relu");
    }
}
