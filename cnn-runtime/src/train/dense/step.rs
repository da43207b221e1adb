//! `segmenter!`: the training and validation steps of a dense network.

/// Makes a `cnn!` network a segmenter for burn-train: implements
/// `TrainStep` and `InferenceStep` with a [`DenseBatch`] of the network's
/// rank as input ([`MaskBatch`] for images) and a [`DenseOutput`] (loss,
/// predicted and true class of each position) as output, and
/// [`Segmenter`].
///
/// [`DenseBatch`]: crate::train::DenseBatch
/// [`MaskBatch`]: crate::train::MaskBatch
/// [`DenseOutput`]: crate::train::DenseOutput
/// [`Segmenter`]: crate::train::Segmenter
///
/// The loss is PyTorch's `CrossEntropyLoss(ignore_index=255)` over every
/// position of the main output (with the batch's class weights, if any).
/// Named outputs (`output(aux)`) join the training loss with the weights
/// given, as torchvision trains FCN and DeepLabV3 (`aux = 0.5`); validation
/// scores the main output alone and skips the branches that feed only named
/// outputs.
///
/// Checked at compile time: the main output and each named output given
/// have the input's rank and spatial size (a head that ends at a lower
/// resolution needs `upsample(like = input)`), and each name is an output.
///
/// ```
/// use cnn_runtime::{cnn, segmenter};
///
/// cnn! {
///     pub struct Seg: [3, 32, 32] {
///         conv(3, 8, 3, stride = 2, padding = 1) relu as features
///         conv(8, 4, 1) upsample(like = input, mode = bilinear) output(aux)
///         from(features) conv(8, 16, 3, padding = 1) relu conv(16, 4, 1)
///         upsample(like = input, mode = bilinear)
///     }
/// }
/// segmenter!(Seg, aux = 0.5);
///
/// fn trains_on<B: cnn_runtime::burn::train::TrainStep<Input = cnn_runtime::train::MaskBatch>>() {}
/// trains_on::<Seg>();
/// ```
///
/// ```compile_fail
/// use cnn_runtime::{cnn, segmenter};
///
/// cnn! { struct Coarse: [3, 32, 32] { conv(3, 4, 3, stride = 2, padding = 1) } }
/// segmenter!(Coarse); // [4, 16, 16] does not score each of the 32 × 32 pixels
/// ```
#[macro_export]
macro_rules! segmenter {
    ($network:ty $(,)?) => {
        $crate::segmenter!(@step $network, |net, x| (net.forward(x), ::std::vec::Vec::new()));
    };
    ($network:ty, $($output:ident = $weight:expr),+ $(,)?) => {
        $(
            const _: () = ::core::assert!(
                $crate::train::named_output_covers(
                    <$network>::OUTPUTS,
                    ::core::stringify!($output),
                    &<$network>::INPUT_SHAPE,
                ),
                ::core::concat!(
                    "segmenter!: `", ::core::stringify!($output), "` must be a named output of `",
                    ::core::stringify!($network), "` (`output(", ::core::stringify!($output),
                    ")`) with the input's spatial size, to be scored at every pixel"
                )
            );
        )+
        $crate::segmenter!(@step $network, |net, x| {
            let outputs = net.forward_outputs(x);
            let aux = ::std::vec![$((
                ::core::stringify!($output),
                ($weight) as f32,
                outputs.$output,
            )),+];
            (outputs.out, aux)
        });
    };
    (@step $network:ty, |$net:ident, $x:ident| $forward:expr) => {
        const _: () = ::core::assert!(
            $crate::train::covers_input(&<$network>::OUTPUT_SHAPE, &<$network>::INPUT_SHAPE),
            ::core::concat!(
                "segmenter!: `", ::core::stringify!($network), "` must end in [classes, …] at its \
                 input's spatial size, to score every pixel; end it with \
                 `upsample(like = input)`"
            )
        );

        impl $crate::train::Segmenter<{ <$network>::INPUT_SHAPE.len() + 1 }> for $network {
            const NAME: &'static str = ::core::stringify!($network);
            const CLASSES: usize = <$network>::OUTPUT_SHAPE[0];
            const INPUT_SHAPE: &'static [usize] = &<$network>::INPUT_SHAPE;

            fn logits(
                &self,
                inputs: $crate::burn::tensor::Tensor<{ <$network>::INPUT_SHAPE.len() + 1 }>,
            ) -> $crate::burn::tensor::Tensor<{ <$network>::INPUT_SHAPE.len() + 1 }> {
                self.forward(inputs)
            }

            fn device(&self) -> $crate::burn::tensor::Device {
                $crate::train::module_device(self)
            }

            fn summary_for(
                input: &[usize],
            ) -> ::core::result::Result<$crate::Summary, $crate::ShapeError> {
                $crate::__summary_for!($network, input)
            }
        }

        impl $crate::burn::train::TrainStep for $network {
            type Input = $crate::train::DenseBatch<{ <$network>::INPUT_SHAPE.len() + 1 }>;
            type Output = $crate::train::DenseOutput;

            fn step(
                &self,
                batch: Self::Input,
            ) -> $crate::burn::train::TrainOutput<$crate::train::DenseOutput> {
                let (main, aux) = {
                    let $net = self;
                    let $x = batch.inputs.clone();
                    $forward
                };
                let output =
                    $crate::train::dense_output(::core::stringify!($network), main, aux, batch);
                let gradients = output.loss.backward();
                $crate::burn::train::TrainOutput::new(self, gradients, output)
            }
        }

        impl $crate::burn::train::InferenceStep for $network {
            type Input = $crate::train::DenseBatch<{ <$network>::INPUT_SHAPE.len() + 1 }>;
            type Output = $crate::train::DenseOutput;

            fn step(&self, batch: Self::Input) -> $crate::train::DenseOutput {
                let main = self.forward(batch.inputs.clone());
                $crate::train::dense_output(
                    ::core::stringify!($network),
                    main,
                    ::std::vec::Vec::new(),
                    batch,
                )
            }
        }
    };
}
