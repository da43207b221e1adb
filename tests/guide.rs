//! The guide (`book/`) and the front pages stay true: the error gallery is
//! generated from the compile-fail tests (`CNN_BLESS=1 cargo test --test
//! guide` rewrites it), every relative link and `#anchor` in README.md,
//! BENCHMARKS.md, CHANGELOG.md and the book points at something that exists,
//! every chapter is in SUMMARY.md, and README.md stays a front page.
//! The chapters' Rust code is compiled as doc tests (`src/lib.rs`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const GALLERY: &str = "book/src/errors.md";

/// The gallery: one section per file of `tests/ui`, its leading comment,
/// its source and the compiler's output as blessed.
fn gallery() -> String {
    let mut tests: Vec<PathBuf> = std::fs::read_dir("tests/ui")
        .expect("tests/ui")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    tests.sort();
    let mut out = String::from(
        "# Error gallery\n\n\
         Every error below is the compiler's output for a file of `tests/ui`, as the\n\
         compile-fail tests bless it; `tests/guide.rs` regenerates this page from them\n\
         (`CNN_BLESS=1 cargo test --test guide`), so it cannot drift from what `cnn!` says.\n\
         Each entry gives the mistake, the code and the message with its spans.\n",
    );
    for test in tests {
        let source = std::fs::read_to_string(&test).expect("source");
        let stderr =
            std::fs::read_to_string(test.with_extension("stderr")).expect("blessed stderr");
        let name = test.file_stem().and_then(|s| s.to_str()).expect("a name");
        let (comment, code): (Vec<&str>, Vec<&str>) = {
            let lines: Vec<&str> = source.lines().collect();
            let split = lines
                .iter()
                .position(|l| !l.starts_with("//"))
                .unwrap_or(lines.len());
            (lines[..split].to_vec(), lines[split..].to_vec())
        };
        let title = name.replace('-', " ");
        out.push_str(&format!("\n## {title}\n\n"));
        if !comment.is_empty() {
            let text: Vec<&str> = comment
                .iter()
                .map(|l| l.trim_start_matches("//").trim())
                .collect();
            out.push_str(&format!("{}\n\n", text.join("\n")));
        }
        let code = code.join("\n");
        let code = code.trim_end_matches("fn main() {}").trim_end();
        out.push_str(&format!(
            "```rust,ignore\n{code}\n```\n\n```text\n{}\n```\n",
            stderr.trim_end()
        ));
    }
    out
}

#[test]
fn the_error_gallery_is_generated_from_the_compile_fail_tests() {
    let fresh = gallery();
    if std::env::var_os("CNN_BLESS").is_some() {
        std::fs::write(GALLERY, &fresh).expect("write the gallery");
        return;
    }
    let committed = std::fs::read_to_string(GALLERY).unwrap_or_default();
    assert!(
        committed == fresh,
        "{GALLERY} is not what tests/ui says: run `CNN_BLESS=1 cargo test --test guide`"
    );
}

/// GitHub's and mdBook's anchor of a heading: lower case, spaces to `-`,
/// other punctuation dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown file's headings (outside code blocks).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut fenced = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// Every `](target)` of a Markdown file outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    out
}

fn documents() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = ["README.md", "BENCHMARKS.md", "CHANGELOG.md"]
        .iter()
        .map(PathBuf::from)
        .collect();
    for entry in std::fs::read_dir("book/src").expect("book/src") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            docs.push(path);
        }
    }
    docs.sort();
    docs
}

#[test]
fn every_link_in_the_readme_and_the_guide_points_at_something_that_exists() {
    let mut broken = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).expect("a document");
        let dir = doc.parent().unwrap_or(Path::new("")).to_path_buf();
        for link in links(&text) {
            if link.starts_with("http://") || link.starts_with("https://") {
                continue;
            }
            let (file, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() {
                doc.clone()
            } else {
                dir.join(file)
            };
            if !target.exists() {
                broken.push(format!(
                    "{}: {link} (no {})",
                    doc.display(),
                    target.display()
                ));
                continue;
            }
            if !anchor.is_empty() {
                let text = std::fs::read_to_string(&target).unwrap_or_default();
                if !anchors(&text).contains(anchor) {
                    broken.push(format!("{}: {link} (no heading #{anchor})", doc.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_chapter_is_in_the_books_summary() {
    let summary = std::fs::read_to_string("book/src/SUMMARY.md").expect("SUMMARY.md");
    for doc in documents() {
        if doc.starts_with("book/src") && !doc.ends_with("SUMMARY.md") {
            let name = doc.file_name().and_then(|n| n.to_str()).expect("a name");
            assert!(
                summary.contains(&format!("({name})")),
                "{name} is not in SUMMARY.md"
            );
        }
    }
}

#[test]
fn the_readme_is_a_front_page() {
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let lines = readme.lines().count();
    assert!(
        lines < 250,
        "README.md has {lines} lines: move detail to the guide"
    );
}
