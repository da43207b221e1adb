//! `upsample`: `nn.Upsample` (nearest or bilinear).

use crate::onnx::{Attr, Lower};
use crate::shape::taps::taps;
use crate::shape::{Axes, Op};
use super::{Args, Bound, Emit, Io, Layer, Spec, Twin, Ty, Val, absent, float_lit, lit, opt, pair};
use proc_macro2::TokenStream;
use crate::walk::Walk;
use super::Plan;
use crate::model::Resample;
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "upsample",
    pytorch: "nn.Upsample",
    params: &[
        absent("size", Ty::Size),
        absent("scale_factor", Ty::Scale),
        opt("mode", Ty::Mode, Val::Word("nearest")),
        absent("align_corners", Ty::Bool),
    ],
    build: |a| Some(Box::new(Upsample::new(a)?)),
};

/// `nn.Upsample`'s arguments.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct Upsample {
    /// Per axis over `[D, H, W]`, 1 on the axes the map lacks.
    pub size: Option<Axes>,
    /// Per axis over `[D, H, W]`, 1 on the axes the map lacks.
    pub scale: Option<[f64; 3]>,
    /// Linear interpolation (`linear`, `bilinear`, `trilinear`), else nearest.
    pub bilinear: bool,
    pub align_corners: Option<bool>,
    /// The mode as written.
    pub mode: &'static str,
    /// The map's spatial rank.
    pub rank: usize,
}

impl Upsample {
    fn new(a: Args) -> Option<Upsample> {
        let mode = a.word("mode")?;
        Some(Upsample {
            size: a.opt_axes("size", 1)?,
            scale: a.opt_scales("scale_factor")?,
            bilinear: mode != "nearest",
            align_corners: a.opt_bool("align_corners")?,
            mode,
            rank: a.rank(),
        })
    }

    /// `[h, w]` of a 2-D layer's size and scale.
    fn hw(&self) -> (Option<[u64; 2]>, Option<[f64; 2]>) {
        (
            self.size.map(|[_, h, w]| [h, w]),
            self.scale.map(|[_, h, w]| [h, w]),
        )
    }

    /// PyTorch's `nn.Upsample` on a 1-D or 3-D map (the runtime's
    /// `resample_nd`, one axis after another).
    fn emit_other_rank(&self, krate: &TokenStream) -> Emit {
        let axes = 3 - self.rank..3;
        let size = match self.size {
            Some(size) => {
                let size = size[axes.clone()].iter().map(|&s| lit(s));
                quote!(::core::option::Option::Some(&[#(#size),*]))
            }
            None => quote!(::core::option::Option::None),
        };
        let scale = match self.scale {
            Some(scale) => {
                let scale = scale[axes].iter().map(|&s| float_lit(s));
                quote!(::core::option::Option::Some(&[#(#scale),*]))
            }
            None => quote!(::core::option::Option::None),
        };
        let (linear, corners) = (self.bilinear, self.align_corners == Some(true));
        Emit::function(quote!(#krate::__private::resample_nd(x, #size, #scale, #linear, #corners)))
    }

    /// PyTorch's name of linear interpolation on maps of `rank` axes.
    fn linear_mode(rank: usize) -> &'static str {
        match rank {
            1 => "linear",
            3 => "trilinear",
            _ => "bilinear",
        }
    }

    /// Whether the layer runs PyTorch's formula (the runtime's `resample`)
    /// instead of burn's `Interpolate2d`: every bilinear layer (burn's wgpu
    /// kernel with `align_corners = false` differs from PyTorch), and nearest
    /// with a non-integer `scale_factor` (PyTorch maps coordinates with
    /// `1 / scale_factor`, burn with `in / out`).
    pub fn resampled(&self) -> bool {
        let fractional = self
            .scale
            .is_some_and(|s| s.iter().any(|f| f.fract() != 0.0));
        self.bilinear || fractional
    }
}

impl Layer for Upsample {
    /// Rule: `upsample` takes exactly one of `size` and `scale_factor`, and
    /// `align_corners` only with `mode = bilinear` (PyTorch raises otherwise).
    fn check_arguments(&self, b: &Bound, walk: &mut Walk) {
        let linear = Upsample::linear_mode(self.rank);
        if self.bilinear && self.mode != linear {
            let takes = ["linear", "bilinear", "trilinear"]
                .iter()
                .position(|&m| m == self.mode)
                .map_or(0, |i| i + 1);
            walk.error_at(
                b.span_of("mode"),
                format!(
                    "`mode = {}` interpolates {takes}-D maps, but this network's maps are {}-D\n= help: write `mode = {linear}`",
                    self.mode, self.rank
                ),
            );
        }
        match (self.size, self.scale) {
            (None, None) => walk.error(
                b,
                "`upsample` needs `size` or `scale_factor`\n= help: write `upsample(scale_factor = 2)`",
            ),
            (Some(_), Some(_)) => walk.error_at(
                b.span_of("scale_factor"),
                "`upsample` takes `size` or `scale_factor`, not both",
            ),
            _ => {}
        }
        if !self.bilinear && self.align_corners.is_some() {
            walk.error_at(
                b.span_of("align_corners"),
                "`align_corners` only applies to `mode = bilinear`\n= note: PyTorch raises for nearest-neighbour upsampling with align_corners set",
            );
        }
    }

    fn op(&self) -> Op {
        Op::Upsample {
            size: self.size,
            scale: self.scale,
            bilinear: self.bilinear,
        }
    }

    fn emit(&self, io: &Io) -> Emit {
        if self.rank != 2 {
            return self.emit_other_rank(io.krate);
        }
        let (size, scale) = self.hw();
        if self.resampled() {
            return Emit {
                field: None,
                plan: Plan::Resample(Resample {
                    size,
                    scale,
                    bilinear: self.bilinear,
                    align_corners: self.align_corners == Some(true),
                }),
            };
        }
        // burn's nearest mode is PyTorch's floor mapping; an integer scale is
        // exact in burn's `f32` and gives `in · scale` on any input.
        let output = match (size, scale) {
            (Some(size), _) => {
                let size = pair(size);
                quote!(.with_output_size(::core::option::Option::Some(#size)))
            }
            (None, Some([sh, sw])) => {
                let (sh, sw) = (float_lit(sh), float_lit(sw));
                quote!(.with_scale_factor(::core::option::Option::Some([#sh, #sw])))
            }
            (None, None) => quote!(),
        };
        Emit::module(
            quote!(burn::nn::interpolate::Interpolate2d),
            quote! {
                burn::nn::interpolate::Interpolate2dConfig::new()
                    #output
                    .with_mode(burn::nn::interpolate::InterpolateMode::Nearest)
                    .init()
            },
        )
    }

    /// Nearest: a `Gather` per axis of the rows PyTorch reads
    /// (`shape::taps`), since `Resize` divides where PyTorch multiplies and
    /// picks another row where the product rounds up to an integer (20 → 12
    /// rows: row 3 reads 5 in PyTorch, 4 in ONNX Runtime). Bilinear, which
    /// such rounding moves by a rounding error only, is `Resize` with
    /// PyTorch's coordinate mapping and the scale factor as written (PyTorch
    /// maps coordinates with it, not with the sizes' ratio), or the size.
    fn onnx(&self, o: &mut Lower) {
        let (Some(input), Some(out)) = (o.input.spatial(), o.output.spatial()) else {
            return;
        };
        let first = input.first();
        if !self.bilinear {
            for a in first..3 {
                let (from, to) = (input.all()[a], out.all()[a]);
                if from != to {
                    let scale = self.scale.map(|s| s[a]);
                    let rows = taps(from as usize, to as usize, scale, false, false);
                    let rows = o.ints(&[to as i64], rows.first);
                    let axis = (a - first) as i64 + 2;
                    o.apply("Gather", &[&rows], vec![("axis", Attr::Int(axis))]);
                }
            }
            return;
        }
        let mapping = if self.align_corners == Some(true) {
            "align_corners"
        } else {
            "pytorch_half_pixel"
        };
        let attributes = vec![
            ("mode", Attr::Text("linear")),
            ("coordinate_transformation_mode", Attr::Text(mapping)),
        ];
        match self.scale {
            Some(scale) => {
                let scales: Vec<f64> = [1.0, 1.0].into_iter().chain(scale[first..].iter().copied()).collect();
                let scales = o.floats(&[scales.len() as i64], scales);
                o.apply("Resize", &["", &scales], attributes);
            }
            None => {
                // `sizes` needs the batch: `[N]` from the input, `[C, …]` written.
                let x = o.x.clone();
                let shape = o.node("Shape", &[&x], vec![("end", Attr::Int(1))]);
                let dims: Vec<i64> = o.output.dims().iter().map(|&d| d as i64).collect();
                let rest = o.ints(&[dims.len() as i64], dims);
                let sizes = o.node("Concat", &[&shape, &rest], vec![("axis", Attr::Int(0))]);
                o.x = x;
                o.apply("Resize", &["", "", &sizes], attributes);
            }
        }
    }

    fn pytorch(&self, b: &Bound) -> String {
        let twin = Twin::new(b);
        // PyTorch prints `size` as a tuple whatever was given.
        let twin = match self.size {
            Some(size) => {
                let sizes: Vec<String> = size[3 - self.rank..].iter().map(u64::to_string).collect();
                match sizes.as_slice() {
                    [one] => twin.text(format!("size=({one},)")),
                    _ => twin.text(format!("size=({})", sizes.join(", "))),
                }
            }
            None => twin.keyword(&["scale_factor"]),
        };
        twin.keyword(&["mode", "align_corners"]).finish()
    }
}
