//! The confusion matrix of an [`Evaluation`], as a text table and as an
//! SVG heat map.

use super::Evaluation;
use std::fmt::Write;

/// The most classes drawn as a full text table; past it the table lists
/// each class's accuracy and the most frequent confusions.
const FULL_TABLE: usize = 12;

/// Rows: true classes; columns: predictions; then each row's accuracy.
pub(super) fn table(e: &Evaluation) -> String {
    let n = e.confusion.len();
    let mut out = String::new();
    if n > FULL_TABLE {
        return long_table(e);
    }
    let name_width = e
        .classes
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(5, 16);
    let cell = e
        .confusion
        .iter()
        .flatten()
        .map(|v| v.to_string().len())
        .chain(e.classes.iter().map(|c| c.chars().count().min(8)))
        .max()
        .unwrap_or(1)
        + 1;
    let _ = writeln!(
        out,
        "confusion matrix (rows: true class, columns: predicted)"
    );
    let _ = write!(out, "{:>name_width$} ", "");
    for class in &e.classes {
        let short: String = class.chars().take(cell - 1).collect();
        let _ = write!(out, "{short:>cell$}");
    }
    let _ = writeln!(out, "   accuracy");
    for (i, row) in e.confusion.iter().enumerate() {
        let images: usize = row.iter().sum();
        let name: String = e.classes[i].chars().take(name_width).collect();
        let _ = write!(out, "{name:>name_width$} ");
        for value in row {
            let _ = write!(out, "{value:>cell$}");
        }
        if images > 0 {
            let _ = writeln!(out, "   {:>6.2} %", 100.0 * row[i] as f64 / images as f64);
        } else {
            let _ = writeln!(out, "   (no images)");
        }
    }
    out
}

/// Many classes: each class's accuracy (worst first) and the confusions.
fn long_table(e: &Evaluation) -> String {
    let mut out = String::new();
    let mut classes = e.per_class();
    classes.sort_by(|a, b| a.1.total_cmp(&b.1));
    let _ = writeln!(out, "accuracy per class, worst first:");
    for (name, accuracy, images) in classes.iter().take(10) {
        let _ = writeln!(out, "  {name:<24} {:>6.2} % of {images}", 100.0 * accuracy);
    }
    let mut confusions: Vec<(usize, usize, usize)> = Vec::new();
    for (label, row) in e.confusion.iter().enumerate() {
        for (predicted, &count) in row.iter().enumerate() {
            if label != predicted && count > 0 {
                confusions.push((count, label, predicted));
            }
        }
    }
    confusions.sort_by_key(|c| std::cmp::Reverse(c.0));
    let _ = writeln!(out, "most frequent confusions:");
    if confusions.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for (count, label, predicted) in confusions.iter().take(10) {
        let _ = writeln!(
            out,
            "  {count:>6} × {} taken for {}",
            e.classes[*label], e.classes[*predicted]
        );
    }
    out
}

/// A heat map: each cell shaded by its share of the row (the true class's
/// images), with its count; the diagonal is what the network got right.
pub(super) fn svg(e: &Evaluation, unit: &str) -> String {
    let n = e.confusion.len();
    let cell = if n <= 12 {
        44.0
    } else {
        (520.0 / n as f64).max(4.0)
    };
    let longest = e
        .classes
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(1);
    let label = (7.0 * longest as f64 + 12.0).clamp(24.0, 120.0);
    let (left, top) = (label + 28.0, label * 0.75 + 50.0);
    let (width, height) = (left + cell * n as f64 + 90.0, top + cell * n as f64 + 20.0);
    let counts = n <= 30;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{left:.1}" y="20" font-size="15">Confusion matrix: {} {unit}, accuracy {:.2} %</text>"#,
        e.total(),
        100.0 * e.accuracy()
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="40" text-anchor="middle">predicted</text>"#,
        left + cell * n as f64 / 2.0
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle">true class</text>"#,
        top + cell * n as f64 / 2.0
    );
    for (i, row) in e.confusion.iter().enumerate() {
        let images: usize = row.iter().sum();
        let y = top + cell * i as f64;
        if n <= 60 {
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                left - 6.0,
                y + cell / 2.0 + 4.0,
                escape(&e.classes[i])
            );
            let x = left + cell * i as f64 + cell / 2.0;
            let _ = writeln!(
                s,
                r#"<text transform="translate({x:.1} {:.1}) rotate(-45)">{}</text>"#,
                top - 6.0,
                escape(&e.classes[i])
            );
        }
        for (j, &count) in row.iter().enumerate() {
            let share = if images == 0 {
                0.0
            } else {
                count as f64 / images as f64
            };
            let x = left + cell * j as f64;
            let _ = writeln!(
                s,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{cell:.1}" height="{cell:.1}" fill="{}" stroke="{}"><title>{} taken for {}: {count}</title></rect>"#,
                shade(share, i == j),
                if i == j { "#2b6e3f" } else { "#dddddd" },
                escape(&e.classes[i]),
                escape(&e.classes[j])
            );
            if counts && count > 0 {
                let _ = writeln!(
                    s,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{}">{count}</text>"#,
                    x + cell / 2.0,
                    y + cell / 2.0 + 4.0,
                    if (i == j && share > 0.55) || (i != j && share > 0.3) {
                        "white"
                    } else {
                        "black"
                    }
                );
            }
        }
        if images > 0 {
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{:.1}">{:.1} %</text>"#,
                left + cell * n as f64 + 8.0,
                y + cell / 2.0 + 4.0,
                100.0 * row[i] as f64 / images as f64
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

/// White to green on the diagonal (right), white to red elsewhere (wrong,
/// on a square-root scale, so that a few mistakes show).
fn shade(share: f64, diagonal: bool) -> String {
    let t = if diagonal { share } else { share.sqrt() }.clamp(0.0, 1.0);
    let mix = |to: f64| (255.0 + (to - 255.0) * t).round() as u8;
    let (r, g, b) = if diagonal {
        (43.0, 110.0, 63.0)
    } else {
        (192.0, 57.0, 43.0)
    };
    format!("#{:02x}{:02x}{:02x}", mix(r), mix(g), mix(b))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two() -> Evaluation {
        Evaluation {
            classes: vec!["cat".into(), "<dog>".into()],
            confusion: vec![vec![3, 1], vec![0, 4]],
            top: vec![7, 8],
        }
    }

    #[test]
    fn the_table_has_a_row_per_class_with_its_accuracy() {
        let table = two().table();
        assert!(
            table.contains("\n  cat      3     1    75.00 %\n"),
            "{table}"
        );
        assert!(
            table.contains("\n<dog>      0     4   100.00 %\n"),
            "{table}"
        );
    }

    #[test]
    fn the_svg_shades_each_cell_and_escapes_the_names() {
        let svg = two().svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<rect x=").count(), 4);
        assert!(svg.contains("&lt;dog&gt;") && !svg.contains("<dog>"));
        assert!(svg.contains("accuracy 87.50 %"));
    }
}
