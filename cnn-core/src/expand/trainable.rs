//! The methods that freeze and unfreeze a network by PyTorch key, build a
//! parameter group from keys, and print the summary with what trains
//! (`cnn-runtime/src/trainable.rs` does the work).

use proc_macro2::TokenStream;
use quote::quote;

pub(super) fn methods(krate: &TokenStream, name: &str) -> TokenStream {
    quote! {
        /// Freezes the parameters under each PyTorch key or prefix (the summary's
        /// Key column: `"conv1"`, `"layer1"`, `"layer4.1.bn2"`): they stop requiring
        /// gradients and their layers' training flags turn off (a frozen batchnorm
        /// keeps its running statistics). Returns the network in training mode.
        ///
        /// # Errors
        /// A key that is not one of the network's, with the nearest keys; the keys
        /// are checked before the network is changed.
        pub fn freeze_keys(self, keys: &[&str]) -> ::core::result::Result<Self, #krate::KeyError> {
            #krate::__private::set_trainable(self, #name, Self::LAYERS, #krate::__private::Change::Freeze(keys))
        }

        /// Unfreezes the parameters under each key (see [`Self::freeze_keys`]).
        ///
        /// # Errors
        /// A key that is not one of the network's, with the nearest keys.
        pub fn unfreeze_keys(self, keys: &[&str]) -> ::core::result::Result<Self, #krate::KeyError> {
            #krate::__private::set_trainable(self, #name, Self::LAYERS, #krate::__private::Change::Unfreeze(keys))
        }

        /// Trains only the parameters under the keys (a new head: `&["fc"]`) and
        /// freezes every other one.
        ///
        /// # Errors
        /// A key that is not one of the network's, with the nearest keys.
        pub fn train_only(self, keys: &[&str]) -> ::core::result::Result<Self, #krate::KeyError> {
            #krate::__private::set_trainable(self, #name, Self::LAYERS, #krate::__private::Change::Only(keys))
        }

        /// Unfreezes every parameter and training flag; returns the network in
        /// training mode.
        pub fn unfreeze_all(self) -> Self {
            match #krate::__private::set_trainable(self, #name, Self::LAYERS, #krate::__private::Change::All) {
                ::core::result::Result::Ok(net) => net,
                ::core::result::Result::Err(error) => ::core::unreachable!("no keys to check: {}", error),
            }
        }

        /// burn's [`ParamGroup`](burn::module::ParamGroup) of the parameters under
        /// the keys, for a learning rate of their own
        /// (`ModuleLrScheduler::new(1e-4).with_group(Net::param_group(&["fc"])?, 1e-3)`).
        ///
        /// # Errors
        /// A key that is not one of the network's, with the nearest keys.
        pub fn param_group(keys: &[&str]) -> ::core::result::Result<burn::module::ParamGroup, #krate::KeyError> {
            #krate::__private::param_group(#name, Self::LAYERS, keys)
        }

        /// [`Self::summary`] with a column saying which layers train and the
        /// totals of trainable and frozen parameters (PyTorch's `requires_grad`
        /// counts).
        pub fn summary_trainable(&self) -> #krate::Summary {
            let summary = Self::summary();
            match #krate::__private::frozen_params(self, Self::LAYERS) {
                ::core::option::Option::Some(frozen) => summary.with_frozen(&frozen),
                ::core::option::Option::None => summary,
            }
        }
    }
}
