//! A burn-train renderer that prints one line per epoch and keeps the
//! numbers, and the loss/accuracy picture drawn from them.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::train::LearnerSummary;
use burn::train::logger::{EvaluationProgressLogger, TrainingProgressLogger};
use burn::train::metric::{MetricDefinition, MetricId, NumericEntry};
use burn::train::renderer::{
    EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining,
};

/// The metrics of one epoch, averaged over its items.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EpochRecord {
    /// The epoch, from 1.
    pub epoch: usize,
    /// Training metrics by name (`"Loss"`, `"Accuracy"` in percent, …).
    pub train: BTreeMap<String, f64>,
    /// Validation metrics by name.
    pub valid: BTreeMap<String, f64>,
    /// Wall time of the epoch (training and validation), in seconds.
    pub seconds: f64,
}

/// Every finished epoch of a training run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// The epochs, in order.
    pub epochs: Vec<EpochRecord>,
}

/// burn-train renderer: a progress line while an epoch runs (on a
/// terminal), one line per finished epoch, and a shared [`History`].
///
/// ```text
/// epoch  1/8   train loss 0.5212  acc 84.14%   valid loss 0.1960  acc 94.05%   5.1 s
/// ```
pub struct EpochReport {
    history: Arc<Mutex<History>>,
    names: HashMap<MetricId, String>,
    current: EpochRecord,
    validating: bool,
    total_epochs: usize,
    split_items: usize,
    started: Instant,
    progress: bool,
}

impl EpochReport {
    /// A renderer and the history it fills; give the renderer to
    /// `SupervisedTraining::renderer` and keep the history.
    pub fn new() -> (EpochReport, Arc<Mutex<History>>) {
        let history = Arc::new(Mutex::new(History::default()));
        let report = EpochReport {
            history: Arc::clone(&history),
            names: HashMap::new(),
            current: EpochRecord::default(),
            validating: false,
            total_epochs: 0,
            split_items: 0,
            started: Instant::now(),
            progress: std::io::stderr().is_terminal(),
        };
        (report, history)
    }

    fn record(&mut self, state: MetricState, valid: bool) {
        let MetricState::Numeric(entry, Some(value)) = state else {
            return;
        };
        let name = self
            .names
            .get(&entry.metric_id)
            .cloned()
            .unwrap_or_else(|| "metric".to_owned());
        // Per-batch updates carry the batch's value; the update at the end of
        // the split carries the epoch's mean, which is what stays.
        let value = match value {
            NumericEntry::Final(mean) => mean,
            other => other.current(),
        };
        let split = if valid {
            &mut self.current.valid
        } else {
            &mut self.current.train
        };
        split.insert(name, value);
    }

    fn finish_epoch(&mut self) {
        self.current.seconds = self.started.elapsed().as_secs_f64();
        let record = std::mem::take(&mut self.current);
        if self.progress {
            eprint!("\r{:60}\r", "");
        }
        println!("{}", record.line(self.total_epochs));
        if let Ok(mut history) = self.history.lock() {
            history.epochs.push(record);
        }
    }
}

impl EpochRecord {
    /// The line printed for this epoch.
    pub fn line(&self, total_epochs: usize) -> String {
        let width = total_epochs.max(1).to_string().len();
        let mut line = format!("epoch {:>width$}/{total_epochs}", self.epoch);
        for (split, metrics) in [("train", &self.train), ("valid", &self.valid)] {
            if metrics.is_empty() {
                continue;
            }
            let _ = write!(line, "   {split}");
            if let Some(loss) = metrics.get("Loss") {
                let _ = write!(line, " loss {loss:.4}");
            }
            // Percentages first, in a fixed order and short; the rest as named.
            const PERCENT: [(&str, &str); 3] = [
                ("Accuracy", "acc"),
                ("Pixel accuracy", "pixel acc"),
                ("mIoU", "mIoU"),
            ];
            for (name, short) in PERCENT {
                if let Some(value) = metrics.get(name) {
                    let _ = write!(line, " {short} {value:6.2}%");
                }
            }
            for (name, value) in metrics {
                if name != "Loss" && !PERCENT.iter().any(|(known, _)| known == name) {
                    let _ = write!(line, " {name} {value:.4}");
                }
            }
        }
        let _ = write!(line, "   {:.1} s", self.seconds);
        line
    }
}

impl MetricsRendererTraining for EpochReport {
    fn update_train(&mut self, state: MetricState) {
        self.record(state, false);
    }

    fn update_valid(&mut self, state: MetricState) {
        self.record(state, true);
    }

    fn on_train_end(
        &mut self,
        _summary: Option<LearnerSummary>,
    ) -> Result<(), Box<dyn core::error::Error>> {
        Ok(())
    }
}

impl TrainingProgressLogger for EpochReport {
    fn start(
        &mut self,
        total_epochs: usize,
        starting_epoch: usize,
        _total_items: Option<usize>,
        _label: Option<&str>,
    ) {
        self.total_epochs = total_epochs;
        self.current.epoch = starting_epoch.saturating_sub(1);
    }

    fn start_split(&mut self, split_name: &str, total_items: usize) {
        self.validating = split_name == "valid";
        if !self.validating {
            self.current.epoch += 1;
            self.started = Instant::now();
        }
        self.split_items = total_items;
    }

    fn update_split(&mut self, items_processed: usize) {
        if self.progress {
            let split = if self.validating { "valid" } else { "train" };
            eprint!(
                "\repoch {}/{} {split} {items_processed}/{} ",
                self.current.epoch, self.total_epochs, self.split_items
            );
            let _ = std::io::stderr().flush();
        }
    }

    fn update_epoch(&mut self, _epoch: usize) {}

    fn end_split(&mut self) {
        if self.validating {
            let epoch = self.current.epoch;
            self.finish_epoch();
            self.current.epoch = epoch;
        }
    }

    fn end(&mut self) {}

    fn log_event_training(&mut self, _event: String) {}
}

impl EvaluationProgressLogger for EpochReport {
    fn start_global_progress(&mut self, _total_tests: usize) {}
    fn start_test(&mut self, _name: &str, _total_items: usize) {}
    fn update_test_progress(&mut self, _items_processed: usize) {}
    fn end_test(&mut self) {}
    fn end_global_progress(&mut self) {}
    fn log_event_evaluation(&mut self, _event: String) {}
}

impl MetricsRendererEvaluation for EpochReport {
    fn update_test(&mut self, _name: EvaluationName, _state: MetricState) {}
}

impl MetricsRenderer for EpochReport {
    fn manual_close(&mut self) {}

    fn register_metric(&mut self, definition: MetricDefinition) {
        self.names
            .insert(definition.metric_id, definition.name.to_string());
    }
}

impl History {
    /// The loss (left) and accuracy (right) curves of training and
    /// validation, per epoch, as a self-contained SVG picture.
    pub fn svg(&self) -> String {
        const W: f64 = 360.0;
        const H: f64 = 240.0;
        const PAD: f64 = 64.0;
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" \
             font-family=\"sans-serif\" font-size=\"11\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
            2.0 * W,
            H + 20.0
        );
        for (panel, metric, unit) in [(0.0, "Loss", ""), (1.0, "Accuracy", "%")] {
            let series: Vec<(&str, &str, Vec<f64>)> = [("train", "#1f77b4"), ("valid", "#d62728")]
                .into_iter()
                .map(|(split, colour)| {
                    let values = self
                        .epochs
                        .iter()
                        .filter_map(|e| {
                            if split == "train" { &e.train } else { &e.valid }
                                .get(metric)
                                .copied()
                        })
                        .collect();
                    (split, colour, values)
                })
                .collect();
            let all = series.iter().flat_map(|s| s.2.iter().copied());
            let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
            let (lo, hi) = if lo.is_finite() && hi > lo {
                (lo, hi)
            } else if lo.is_finite() {
                (lo - 1.0, lo + 1.0)
            } else {
                (0.0, 1.0)
            };
            let left = panel * W + PAD;
            let (right, top, bottom) = (panel * W + W - 12.0, 24.0, H - 24.0);
            let epochs = self.epochs.len().max(2) - 1;
            let x = |i: usize| left + (right - left) * i as f64 / epochs as f64;
            let y = |v: f64| bottom - (bottom - top) * (v - lo) / (hi - lo);
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"14\" font-weight=\"bold\">{metric} per epoch</text>\n\
                 <rect x=\"{left}\" y=\"{top}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n\
                 <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{hi:.2}{unit}</text>\n\
                 <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{lo:.2}{unit}</text>\n\
                 <text x=\"{left}\" y=\"{}\">1</text>\n\
                 <text x=\"{right}\" y=\"{}\" text-anchor=\"end\">epoch {}</text>",
                left,
                right - left,
                bottom - top,
                left - 4.0,
                top + 4.0,
                left - 4.0,
                bottom,
                bottom + 14.0,
                bottom + 14.0,
                self.epochs.len(),
            );
            for (row, (split, colour, values)) in series.iter().enumerate() {
                let points: Vec<String> = values
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| format!("{:.1},{:.1}", x(i), y(v)))
                    .collect();
                let _ = writeln!(
                    svg,
                    "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>\n\
                     <text x=\"{}\" y=\"{}\" fill=\"{colour}\">{split}</text>",
                    points.join(" "),
                    right - 80.0 + 42.0 * row as f64,
                    14.0,
                );
            }
        }
        svg.push_str("</svg>\n");
        svg
    }
}
